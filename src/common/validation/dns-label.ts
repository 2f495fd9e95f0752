import { Matches } from 'class-validator';
import { DNS_LABEL, DNS_LABEL_MESSAGE } from '../primitives/patterns';

/** class-validator: the property is a DNS-1123 label (namespaces, job names). */
export const IsDnsLabel = () => Matches(DNS_LABEL, { message: `$property ${DNS_LABEL_MESSAGE}` });
