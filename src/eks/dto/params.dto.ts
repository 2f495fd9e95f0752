import { ApiProperty } from '@nestjs/swagger';
import { Matches, MaxLength } from 'class-validator';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_MESSAGE =
  'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric';

/** What IsDnsLabel enforces, for @ApiProperty: the document carries the same rule. */
export const DNS_LABEL_SCHEMA = { pattern: DNS_LABEL.source, minLength: 1, maxLength: 63 } as const;

export const IsDnsLabel = () => (target: object, key: string) => {
  Matches(DNS_LABEL, { message: `$property ${DNS_MESSAGE}` })(target, key);
  MaxLength(63)(target, key);
};

export class NamespaceParams {
  @ApiProperty({
    example: 'team-a',
    description: 'Namespace (DNS-1123 label)',
    ...DNS_LABEL_SCHEMA,
  })
  @IsDnsLabel()
  ns!: string;
}

export class JobParams extends NamespaceParams {
  @ApiProperty({
    example: 'nightly-report',
    description: 'Job name (DNS-1123 label)',
    ...DNS_LABEL_SCHEMA,
  })
  @IsDnsLabel()
  name!: string;
}
