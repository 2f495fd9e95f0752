import { Matches } from 'class-validator';
import { DNS_LABEL, DNS_LABEL_MESSAGE } from '../primitives/patterns';

/** class-validator: the property is a DNS-1123 label (namespaces, job names). */
export const IsDnsLabel = () => Matches(DNS_LABEL, { message: `$property ${DNS_LABEL_MESSAGE}` });

/** What IsDnsLabel enforces, for @ApiProperty: the OpenAPI document carries the same rule. */
export const DNS_LABEL_SCHEMA = { pattern: DNS_LABEL.source, minLength: 1, maxLength: 63 } as const;
