// The web config file of SPEC "Prometheus metrics" (--web-config): the YAML format that Prometheus exporters
// share (exporter-toolkit's docs/web-configuration.md), read once at start-up and checked as strictly as
// exporter-toolkit does: unknown keys, plaintext passwords and certificates that cannot be used are errors
// here, not at the first scrape. Every error is one WebConfigError line naming the file, the key and the
// problem; secrets (password hashes, inline keys) are never echoed.
//
// Honoured: tls_server_config cert_file/key_file (or inline cert/key), client_auth_type NoClientCert and
// RequireAndVerifyClientCert with client_ca_file (or inline client_ca), min_version, max_version,
// curve_preferences, prefer_server_cipher_suites; http_server_config headers; basic_auth_users.
// Accepted and ignored: http_server_config.http2 (node:https serves HTTP/1.1 only; Prometheus scrapes over it).
// Rejected with a reason: the client_auth_type values that do not verify the client certificate,
// cipher_suites (Go names, no OpenSSL equivalent kept here), client_allowed_sans, rate_limit.
// Relative file names are relative to the config file's directory, as upstream.
import { readFile } from 'node:fs/promises';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { validateHeaderValue } from 'node:http';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureVersion } from 'node:tls';
import { parseDocument } from 'yaml';

export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

/** Options for node:https, already read from disk and checked: the certificate parses and matches the key. */
export interface WebTlsOptions {
  readonly cert: string;
  readonly key: string;
  /** Client CA bundle; set exactly when client certificates are required and verified. */
  readonly ca?: string;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** OpenSSL curve list (`P-256:X25519`), or undefined for OpenSSL's default. */
  readonly ecdhCurve?: string;
  readonly honorCipherOrder: boolean;
}

export interface WebConfig {
  /** Present: serve HTTPS with these options. Absent: plain HTTP. */
  readonly tls?: WebTlsOptions;
  /** Extra headers for every response (http_server_config.headers), blank values already dropped. */
  readonly headers: Readonly<Record<string, string>>;
  /** basic_auth_users: user name -> bcrypt hash. Empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
}

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'] as const;
const TLS_KEYS = [
  'cert_file', 'key_file', 'cert', 'key', 'client_auth_type', 'client_ca_file', 'client_ca', 'min_version',
  'max_version', 'curve_preferences', 'prefer_server_cipher_suites',
] as const;
const HTTP_KEYS = ['http2', 'headers'] as const;

// Documented upstream keys that this server cannot honour: an error says why instead of "unknown key".
const UNSUPPORTED: Readonly<Record<string, string>> = {
  rate_limit: 'is not supported by errcode-stream; put a reverse proxy in front to rate-limit',
  'tls_server_config.cipher_suites':
    "is not supported by errcode-stream (Go cipher names); remove it to use OpenSSL's default suites",
  'tls_server_config.client_allowed_sans':
    'is not supported by errcode-stream; use a client CA that only signs the allowed clients',
};

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};
const VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

const CLIENT_AUTH_SUPPORTED = ['NoClientCert', 'RequireAndVerifyClientCert'] as const;
// Valid upstream, but they let a client in with an unverified (or no) certificate, which upstream's own docs
// call insecure; refusing them keeps "client_auth_type is set" meaning "clients are verified".
const CLIENT_AUTH_UNVERIFIED = ['RequestClientCert', 'RequireAnyClientCert', 'RequireClientCert', 'VerifyClientCertIfGiven'];

// Upstream allows exactly these headers, some with enumerated values, so exporters stay consistent.
const HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

// $2a$/$2b$/$2y$ (what htpasswd -B and bcrypt libraries write), cost 04-31, 22 salt + 31 hash characters.
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

type Fail = (key: string, problem: string) => never;

/** Reads and checks a web config file; throws WebConfigError. */
export async function loadWebConfig(path: string): Promise<WebConfig> {
  const fail: Fail = (key, problem) => {
    throw new WebConfigError(`${path}: ${key ? `${key}: ` : ''}${oneLine(problem)}`);
  };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return fail('', `cannot read the web config: ${systemReason(err)}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) fail('', `invalid YAML: ${yamlError.message.split('\n')[0]!.replace(/:$/, '')}`);
  // mapAsMap keeps a non-string key a key (reported as such) instead of a stringified warning on stderr;
  // the alias limit stops a "billion laughs" file.
  let root: unknown;
  try {
    root = doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (err) {
    fail('', `invalid YAML: ${(err as Error).message}`);
  }
  const top = section(root, '', fail);
  if (!top) return { headers: {}, users: new Map() };
  checkKeys(top, '', TOP_KEYS, fail);

  const dir = dirname(path);
  const tlsSection = section(top.get('tls_server_config'), 'tls_server_config', fail);
  const tls = tlsSection ? await readTls(tlsSection, dir, fail) : undefined;
  const http = section(top.get('http_server_config'), 'http_server_config', fail);
  if (http) {
    checkKeys(http, 'http_server_config', HTTP_KEYS, fail);
    // Read for its type only: node:https speaks HTTP/1.1, which Prometheus scrapes without loss.
    optionalBoolean(http, 'http_server_config', 'http2', fail);
  }
  const headers = readHeaders(http?.get('headers'), fail);
  const users = readUsers(top.get('basic_auth_users'), fail);
  return { ...(tls ? { tls } : {}), headers, users };
}

/** A mapping's entries by string key; null or absent is an empty section (undefined). */
function section(value: unknown, key: string, fail: Fail): Map<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (!(value instanceof Map)) fail(key, `${key ? '' : 'the file '}must be a mapping of keys to values, not ${describe(value)}`);
  const out = new Map<string, unknown>();
  for (const [k, v] of value as Map<unknown, unknown>) {
    if (k !== null && typeof k === 'object') fail(key, `has a key that is not a plain name: ${describe(k)}`);
    out.set(String(k), v);
  }
  return out;
}

function checkKeys(map: Map<string, unknown>, parent: string, allowed: readonly string[], fail: Fail): void {
  for (const k of map.keys()) {
    const key = join(parent, k);
    const unsupported = UNSUPPORTED[key];
    if (unsupported) fail(key, unsupported);
    if (!allowed.includes(k)) fail(key, `unknown key; expected one of ${allowed.join(', ')}`);
  }
}

function optionalString(map: Map<string, unknown>, parent: string, k: string, fail: Fail): string | undefined {
  const v = map.get(k);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(join(parent, k), `must be a string, not ${describe(v)}`);
  if ((v as string).trim() === '') fail(join(parent, k), 'is empty; remove the key or give it a value');
  return v as string;
}

function optionalBoolean(map: Map<string, unknown>, parent: string, k: string, fail: Fail): boolean | undefined {
  const v = map.get(k);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(join(parent, k), `must be true or false, not ${describe(v)}`);
  return v as boolean;
}

async function readTls(tls: Map<string, unknown>, dir: string, fail: Fail): Promise<WebTlsOptions | undefined> {
  const P = 'tls_server_config';
  checkKeys(tls, P, TLS_KEYS, fail);
  if (tls.size === 0) return undefined;
  const str = (k: string) => optionalString(tls, P, k, fail);

  // Each of cert, key and client CA comes inline or from a file, never both (upstream silently prefers one).
  const pem = async (inline: string, file: string): Promise<{ text: string; from: string } | undefined> => {
    const text = str(inline);
    const name = str(file);
    if (text !== undefined && name !== undefined) fail(join(P, inline), `set either ${inline} or ${file}, not both`);
    if (text !== undefined) return { text, from: join(P, inline) };
    if (name === undefined) return undefined;
    const full = resolve(dir, name);
    try {
      return { text: await readFile(full, 'utf8'), from: join(P, file) };
    } catch (err) {
      return fail(join(P, file), `cannot read ${JSON.stringify(name)}: ${systemReason(err)}`);
    }
  };
  const cert = await pem('cert', 'cert_file');
  const key = await pem('key', 'key_file');
  const clientCa = await pem('client_ca', 'client_ca_file');
  // Any TLS setting without a certificate would silently serve plain HTTP, which is never what was meant.
  if (!cert) fail(join(P, 'cert_file'), `missing: TLS settings are given (${[...tls.keys()].join(', ')}) but no cert_file or cert`);
  if (!key) fail(join(P, 'key_file'), `missing: ${cert.from} is set, so key_file (or key) is needed too`);

  const certificate = parseCertificate(cert.text, cert.from, fail);
  const privateKey = parsePrivateKey(key.text, key.from, fail);
  if (!certificate.checkPrivateKey(privateKey)) fail(key.from, `does not belong to the certificate of ${cert.from}`);

  const clientAuth = str('client_auth_type') ?? 'NoClientCert';
  if (CLIENT_AUTH_UNVERIFIED.includes(clientAuth)) {
    fail(join(P, 'client_auth_type'), `${JSON.stringify(clientAuth)} accepts unverified client certificates and is not supported; use RequireAndVerifyClientCert`);
  }
  if (!(CLIENT_AUTH_SUPPORTED as readonly string[]).includes(clientAuth)) {
    fail(join(P, 'client_auth_type'), `invalid value ${JSON.stringify(clientAuth)}; expected one of ${CLIENT_AUTH_SUPPORTED.join(', ')}`);
  }
  const verifyClients = clientAuth === 'RequireAndVerifyClientCert';
  if (clientCa && !verifyClients) {
    fail(clientCa.from, 'a client CA is set but client_auth_type is not RequireAndVerifyClientCert, so it would never be used');
  }
  if (!clientCa && verifyClients) {
    fail(join(P, 'client_auth_type'), 'RequireAndVerifyClientCert needs client_ca_file (or client_ca) to verify clients against');
  }
  if (clientCa) checkCaBundle(clientCa.text, clientCa.from, fail);

  const version = (k: string, fallback: SecureVersion): SecureVersion => {
    const name = str(k);
    if (name === undefined) return fallback;
    const v = TLS_VERSIONS[name];
    if (!v) fail(join(P, k), `unknown TLS version ${JSON.stringify(name)}; expected one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return v;
  };
  const minVersion = version('min_version', 'TLSv1.2');
  const maxVersion = version('max_version', 'TLSv1.3');
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    fail(join(P, 'min_version'), `${tls.get('min_version') ?? 'TLS12'} is above max_version ${tls.get('max_version') ?? 'TLS13'}`);
  }

  const curveNames = tls.get('curve_preferences');
  let ecdhCurve: string | undefined;
  if (curveNames !== undefined && curveNames !== null) {
    if (!Array.isArray(curveNames)) fail(join(P, 'curve_preferences'), `must be a list of curve names, not ${describe(curveNames)}`);
    const openssl = (curveNames as unknown[]).map((c) => {
      const mapped = typeof c === 'string' ? CURVES[c] : undefined;
      if (!mapped) fail(join(P, 'curve_preferences'), `unknown curve ${describe(c)}; expected some of ${Object.keys(CURVES).join(', ')}`);
      return mapped;
    });
    if (openssl.length > 0) ecdhCurve = openssl.join(':');
  }

  const options: WebTlsOptions = {
    cert: cert.text,
    key: key.text,
    ...(clientCa ? { ca: clientCa.text } : {}),
    requestCert: verifyClients,
    rejectUnauthorized: true,
    minVersion,
    maxVersion,
    ...(ecdhCurve ? { ecdhCurve } : {}),
    honorCipherOrder: optionalBoolean(tls, P, 'prefer_server_cipher_suites', fail) ?? true,
  };
  // The same call node:https makes per server: anything OpenSSL still refuses is found now, not at a handshake.
  try {
    createSecureContext(options);
  } catch (err) {
    fail(P, `OpenSSL refuses these settings: ${opensslReason(err)}`);
  }
  return options;
}

function parseCertificate(text: string, from: string, fail: Fail): X509Certificate {
  try {
    return new X509Certificate(text);
  } catch (err) {
    return fail(from, `is not a PEM certificate (${opensslReason(err)})`);
  }
}

function parsePrivateKey(text: string, from: string, fail: Fail): KeyObject {
  // OpenSSL's own message for this is "interrupted or cancelled" (it wanted to prompt for a passphrase).
  if (/ENCRYPTED/.test(text)) fail(from, 'is encrypted with a passphrase, which is not supported; give an unencrypted key');
  try {
    return createPrivateKey(text);
  } catch (err) {
    return fail(from, `is not a PEM private key (${opensslReason(err)})`);
  }
}

function checkCaBundle(text: string, from: string, fail: Fail): void {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  // OpenSSL skips what is not a certificate, so a bundle of junk would quietly reject every client.
  if (blocks.length === 0) fail(from, 'contains no PEM certificate');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      fail(from, `certificate ${i + 1} cannot be parsed (${opensslReason(err)})`);
    }
  });
}

function readHeaders(value: unknown, fail: Fail): Record<string, string> {
  const P = 'http_server_config.headers';
  const headers: Record<string, string> = {};
  const map = section(value, P, fail);
  if (!map) return headers;
  for (const [name, raw] of map) {
    const key = join(P, name);
    const allowed = HEADERS[name];
    if (!Object.hasOwn(HEADERS, name)) {
      fail(key, `HTTP header ${JSON.stringify(name)} can not be configured; expected one of ${Object.keys(HEADERS).join(', ')}`);
    }
    if (raw === null) continue;
    // Upstream's own example writes `X-XSS-Protection: 1`, which YAML reads as a number.
    if (typeof raw !== 'string' && typeof raw !== 'number') fail(key, `must be a string, not ${describe(raw)}`);
    const v = String(raw);
    if (v === '') continue; // upstream: "Unset if blank"
    if (allowed && !allowed.includes(v)) {
      fail(key, `invalid value ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}`);
    }
    try {
      validateHeaderValue(name, v);
    } catch {
      fail(key, `value ${JSON.stringify(v)} has characters not allowed in an HTTP header`);
    }
    headers[name] = v;
  }
  return headers;
}

function readUsers(value: unknown, fail: Fail): Map<string, string> {
  const P = 'basic_auth_users';
  const users = new Map<string, string>();
  const map = section(value, P, fail);
  if (!map) return users;
  for (const [user, hash] of map) {
    const key = join(P, user);
    // Basic auth splits user and password at the first colon, so this user could never log in.
    if (user.includes(':')) fail(key, 'a user name cannot contain ":" (HTTP basic auth splits at it)');
    // The value is a secret (or a pasted password): say what is wrong without echoing it.
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      fail(key, `the value is not a bcrypt hash ($2y$..., 60 characters); plaintext passwords are not accepted. Make one with: htpasswd -nBC 10 "" | tr -d ':\\n'`);
    }
    users.set(user, hash as string);
  }
  return users;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function describe(v: unknown): string {
  if (v instanceof Map) return 'a mapping';
  if (Array.isArray(v)) return 'a list';
  return JSON.stringify(v) ?? String(v);
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** "no such file or directory" from an fs error, without the code, syscall and path Node puts around it. */
function systemReason(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  return message.replace(/^[A-Z]+: /, '').replace(/, \w+(?: '.*')?$/, '');
}

/** "key values mismatch" from "error:05800074:x509 certificate routines::key values mismatch". */
function opensslReason(err: unknown): string {
  const message = (err as Error).message ?? String(err);
  return message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '');
}
