import { ApiProperty } from '@nestjs/swagger';
import { IsDnsLabel } from '../../common/validation/dns-label';

export class NamespaceParams {
  @ApiProperty({ example: 'team-a', description: 'Namespace (DNS-1123 label)' })
  @IsDnsLabel()
  ns!: string;
}

export class JobParams extends NamespaceParams {
  @ApiProperty({ example: 'nightly-report', description: 'Job name (DNS-1123 label)' })
  @IsDnsLabel()
  name!: string;
}
