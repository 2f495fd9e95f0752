/** A DNS-1123 label (namespaces, job names, container names): at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_LABEL_MESSAGE =
  'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric, at most 63 characters';
