import { short } from './import/decode.ts';

/**
 * The API server's field validation, in its own words (k8s.io/apimachinery
 * pkg/util/validation/validation.go and field/errors.go; kubernetes pkg/apis/core/validation).
 * A problem reads as the API server's `field: Invalid value: "x": why`. The checks are written
 * as linear scans rather than the Go regexps: a JavaScript regexp over a hostile 100k-character
 * name could backtrack for minutes, Go's RE2 cannot.
 */

/** field.Invalid's body: the value as Go's %#v-ish formatting shows it, then why. */
export function invalid(value: unknown, detail: string): string {
  return `Invalid value: ${formatValue(value)}: ${detail}`;
}

export function required(detail = ''): string {
  return detail ? `Required value: ${detail}` : 'Required value';
}

export function notSupported(value: unknown, allowed: readonly string[]): string {
  return `Unsupported value: ${formatValue(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`;
}

export function duplicate(value: unknown): string {
  return `Duplicate value: ${formatValue(value)}`;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(short(v, 100));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return short(JSON.stringify(v) ?? String(v), 100);
}

/** validation.RegexError: the message, examples, and the regexp (with the API server's double space). */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLen = (n: number) => `must be no more than ${n} characters`;

const lowerAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
const alnum = (c: number) => lowerAlnum(c) || (c >= 0x41 && c <= 0x5a);

/** `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, linearly */
function isLabelShape(s: string): boolean {
  if (s.length === 0 || !lowerAlnum(s.charCodeAt(0)) || !lowerAlnum(s.charCodeAt(s.length - 1))) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!lowerAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;

/** IsDNS1123Subdomain: pod, node, namespace-scoped object names (253 characters). */
export function dns1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!v.split('.').every(isLabelShape)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

/** IsDNS1123Label: namespaces, container names (63 characters). */
export function dns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!isLabelShape(v)) {
    if (v.split('.').every(isLabelShape)) errs.push('must not contain dots');
    else errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** IsDNS1035Label: Service names (they become DNS labels, so they must start with a letter). */
export function dns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  const c0 = v.charCodeAt(0);
  if (!isLabelShape(v) || !(c0 >= 0x61 && c0 <= 0x7a)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", '[a-z]([-a-z0-9]*[a-z0-9])?', 'my-name', 'abc-123'));
  }
  return errs;
}

/** `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, linearly */
function isQualifiedPart(s: string): boolean {
  if (s.length === 0 || !alnum(s.charCodeAt(0)) || !alnum(s.charCodeAt(s.length - 1))) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!alnum(c) && c !== 0x2d && c !== 0x5f && c !== 0x2e) return false;
  }
  return true;
}

const QUALIFIED_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';

/** content.IsLabelKey (IsQualifiedName): `prefix/name`, the prefix a DNS subdomain. */
export function labelKey(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix.length === 0) errs.push(`prefix part ${'must be non-empty'}`);
    else errs.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [regexError("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_FMT, 'MyName', 'my.name', '123-abc') + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !isQualifiedPart(name)) {
    errs.push(`name part ${regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QUALIFIED_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/** content.IsLabelValue: empty, or up to 63 characters of the qualified-name shape. */
export function labelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (v.length > 0 && !isQualifiedPart(v)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", `(${QUALIFIED_FMT})?`, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

/** IsValidPortNum */
export function portNum(n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** IsValidPortName (IANA_SVC_NAME): what a named targetPort or containerPort name must look like. */
export function portName(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 15) errs.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(s)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(s)) errs.push('must contain at least one letter (a-z)');
  if (s.includes('--')) errs.push('must not contain consecutive hyphens');
  if (s.startsWith('-') || s.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** core.MaxClientIPServiceAffinitySeconds: one day */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

/** validateAffinityTimeout */
export function affinityTimeout(n: number): string[] {
  return n > 0 && n <= MAX_CLIENT_IP_AFFINITY_SECONDS ? [] : [`must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`];
}

/**
 * ValidateNonSpecialIP (endpoint addresses, externalIPs): the addresses no workload can be
 * reached at, in the API server's words. Go's IsLinkLocalMulticast is 224.0.0.0/24 only; the
 * rest of 224.0.0.0/4 and the limited broadcast address are refused here too, as no kernel
 * would deliver a unicast connection to them.
 */
export function nonSpecialIp(ip: string): string[] {
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number];
  if (ip === '0.0.0.0') return ['may not be unspecified (0.0.0.0, ::)'];
  if (a === 127) return ['may not be in the loopback range (127.0.0.0/8, ::1/128)'];
  if (a === 169 && b === 254) return ['may not be in the link-local range (169.254.0.0/16, fe80::/10)'];
  if (a === 224 && b === 0 && c === 0) return ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'];
  if (a >= 224 && a <= 239) return ['may not be a multicast address (224.0.0.0/4): a connection needs a unicast address'];
  if (a >= 240) return [ip === '255.255.255.255' ? 'may not be the limited broadcast address (255.255.255.255)' : 'may not be in the reserved range 240.0.0.0/4'];
  return [];
}
