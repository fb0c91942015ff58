// One fixture per mistake, as exporter-toolkit's web/testdata: every fixtures/web-config/*.good.yml loads to
// the config pinned here, every *.bad.yml fails with its pinned one-line error, and a fixture without an
// entry here (or an entry without its fixture) fails the table.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadWebConfig, WebConfigError, type WebConfig } from '../../dist/http/webconfig.js';

const DIR = new URL('../../fixtures/web-config/', import.meta.url).pathname;
const pem = (name: string) => readFileSync(DIR + name, 'utf8');

interface Summary {
  tls?: Record<string, unknown>;
  headers: Record<string, string>;
  users: string[];
}

function summarize(c: WebConfig): Summary {
  const out: Summary = { headers: { ...c.headers }, users: [...c.users.keys()] };
  if (c.tls) {
    const { cert, key, ca, ...rest } = c.tls;
    out.tls = { ...rest, cert: cert === pem('server.crt'), key: key === pem('server.key'), ca: ca === undefined ? undefined : ca === pem('client-ca.crt') };
  }
  return out;
}

const SERVER_TLS = {
  cert: true,
  key: true,
  ca: undefined,
  requestCert: false,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  honorCipherOrder: true,
};

const GOOD: Record<string, Summary> = {
  'empty.good.yml': { headers: {}, users: [] },
  'empty_sections.good.yml': { headers: {}, users: [] },
  'http2.good.yml': { headers: {}, users: [] },
  'tls.good.yml': { tls: SERVER_TLS, headers: {}, users: [] },
  'tls_inline.good.yml': { tls: SERVER_TLS, headers: {}, users: [] },
  'users.good.yml': { headers: {}, users: ['prometheus'] },
  'tls_users.good.yml': { tls: SERVER_TLS, headers: {}, users: ['prometheus', 'grafana'] },
  'tls_client_auth.good.yml': { tls: { ...SERVER_TLS, ca: true, requestCert: true }, headers: {}, users: [] },
  'tls_options.good.yml': {
    tls: { ...SERVER_TLS, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519:P-256', honorCipherOrder: false },
    headers: {},
    users: [],
  },
  'headers.good.yml': {
    headers: {
      'X-Frame-Options': 'deny',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'X-XSS-Protection': '1',
      'Content-Security-Policy': "default-src 'self'",
    },
    users: [],
  },
};

// What follows "<file>: " in the message.
const BAD: Record<string, RegExp> = {
  'unknown_key.bad.yml': /^tls_server_confg: unknown key; expected one of tls_server_config, http_server_config, basic_auth_users$/,
  'unknown_tls_key.bad.yml': /^tls_server_config\.cert_path: unknown key; expected one of cert_file, key_file, /,
  'unknown_http_key.bad.yml': /^http_server_config\.header: unknown key; expected one of http2, headers$/,
  'junk.bad.yml': /^invalid YAML: .* at line 2, column 1$/,
  'alias_bomb.bad.yml': /^invalid YAML: Excessive alias count indicates a resource exhaustion attack$/,
  'duplicate_key.bad.yml': /^invalid YAML: Map keys must be unique at line 3, column 3$/,
  'not_a_mapping.bad.yml': /^the file must be a mapping of keys to values, not a list$/,
  'tls_not_a_mapping.bad.yml': /^tls_server_config: must be a mapping of keys to values, not "server\.crt"$/,
  'cert_without_key.bad.yml': /^tls_server_config\.key_file: missing: tls_server_config\.cert_file is set, so key_file \(or key\) is needed too$/,
  'key_without_cert.bad.yml': /^tls_server_config\.cert_file: missing: TLS settings are given \(key_file\) but no cert_file or cert$/,
  'settings_without_cert.bad.yml': /^tls_server_config\.cert_file: missing: TLS settings are given \(min_version\) but no cert_file or cert$/,
  'cert_file_empty.bad.yml': /^tls_server_config\.cert_file: is empty; remove the key or give it a value$/,
  'cert_file_missing.bad.yml': /^tls_server_config\.cert_file: cannot read "somefile\.crt": no such file or directory$/,
  'key_file_missing.bad.yml': /^tls_server_config\.key_file: cannot read "somefile\.key": no such file or directory$/,
  'cert_file_not_pem.bad.yml': /^tls_server_config\.cert_file: is not a PEM certificate \(no start line\)$/,
  'cert_file_is_key.bad.yml': /^tls_server_config\.cert_file: is not a PEM certificate/,
  'key_file_not_pem.bad.yml': /^tls_server_config\.key_file: is not a PEM private key/,
  'key_mismatch.bad.yml': /^tls_server_config\.key_file: does not belong to the certificate of tls_server_config\.cert_file$/,
  'key_encrypted.bad.yml': /^tls_server_config\.key_file: is encrypted with a passphrase, which is not supported/,
  'cert_and_cert_file.bad.yml': /^tls_server_config\.cert: set either cert or cert_file, not both$/,
  'client_ca_without_client_auth.bad.yml': /^tls_server_config\.client_ca_file: a client CA is set but client_auth_type is not RequireAndVerifyClientCert/,
  'client_auth_without_ca.bad.yml': /^tls_server_config\.client_auth_type: RequireAndVerifyClientCert needs client_ca_file/,
  'client_auth_invalid.bad.yml': /^tls_server_config\.client_auth_type: invalid value "RequireAndVerifyClientCerts"; expected one of NoClientCert, RequireAndVerifyClientCert$/,
  'client_auth_unverified.bad.yml': /^tls_server_config\.client_auth_type: "RequireAnyClientCert" accepts unverified client certificates and is not supported/,
  'client_ca_no_certs.bad.yml': /^tls_server_config\.client_ca_file: contains no PEM certificate$/,
  'min_version_unknown.bad.yml': /^tls_server_config\.min_version: unknown TLS version "TLS111"; expected one of TLS10, TLS11, TLS12, TLS13$/,
  'min_above_max.bad.yml': /^tls_server_config\.min_version: TLS13 is above max_version TLS12$/,
  'curve_unknown.bad.yml': /^tls_server_config\.curve_preferences: unknown curve "CurveP257"; expected some of CurveP256, CurveP384, CurveP521, X25519$/,
  'cipher_suites.bad.yml': /^tls_server_config\.cipher_suites: is not supported by errcode-stream/,
  'client_allowed_sans.bad.yml': /^tls_server_config\.client_allowed_sans: is not supported by errcode-stream/,
  'prefer_server_cipher_suites_not_bool.bad.yml': /^tls_server_config\.prefer_server_cipher_suites: must be true or false, not "sometimes"$/,
  'rate_limit.bad.yml': /^rate_limit: is not supported by errcode-stream/,
  'http2_not_bool.bad.yml': /^http_server_config\.http2: must be true or false, not "sometimes"$/,
  'header_not_allowed.bad.yml': /^http_server_config\.headers\.Server: HTTP header "Server" can not be configured/,
  'header_frame_options.bad.yml': /^http_server_config\.headers\.X-Frame-Options: invalid value "allow-from https:\/\/example\.net"; expected one of deny, sameorigin$/,
  'header_content_type_options.bad.yml': /^http_server_config\.headers\.X-Content-Type-Options: invalid value "sniff"; expected one of nosniff$/,
  'header_newline.bad.yml': /^http_server_config\.headers\.Content-Security-Policy: value ".*" has characters not allowed in an HTTP header$/,
  'user_plaintext.bad.yml': /^basic_auth_users\.john: the value is not a bcrypt hash .*plaintext passwords are not accepted/,
  'user_apr1_hash.bad.yml': /^basic_auth_users\.prometheus: the value is not a bcrypt hash/,
  'user_colon.bad.yml': /^basic_auth_users\.prome:theus: a user name cannot contain ":"/,
  'users_not_a_mapping.bad.yml': /^basic_auth_users: must be a mapping of keys to values, not a list$/,
};

const onDisk = (suffix: string) => readdirSync(DIR).filter((f) => f.endsWith(suffix)).sort();

async function errorOf(path: string): Promise<WebConfigError> {
  const err: unknown = await loadWebConfig(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${path} should be rejected`).toBeInstanceOf(WebConfigError);
  return err as WebConfigError;
}

describe('web config fixtures', () => {
  it('has a pinned expectation for every fixture file, and a file for every expectation', () => {
    expect(onDisk('.good.yml')).toEqual(Object.keys(GOOD).sort());
    expect(onDisk('.bad.yml')).toEqual(Object.keys(BAD).sort());
  });

  it.each(Object.entries(GOOD))('loads %s', async (file, expected) => {
    expect(summarize(await loadWebConfig(DIR + file))).toEqual(expected);
  });

  it.each(Object.entries(BAD))('rejects %s with one line naming the file and the key', async (file, pattern) => {
    const err = await errorOf(DIR + file);
    expect(err.name).toBe('WebConfigError');
    expect(err.message).not.toMatch(/[\r\n]/);
    expect(err.message.startsWith(`${DIR}${file}: `)).toBe(true);
    expect(err.message.slice(`${DIR}${file}: `.length)).toMatch(pattern);
  });
});

describe('loadWebConfig', () => {
  it('reads certificate files relative to the config file, not the working directory', async () => {
    expect(process.cwd()).not.toBe(DIR.replace(/\/$/, ''));
    const c = await loadWebConfig(DIR + 'tls.good.yml');
    expect(c.tls?.cert).toBe(pem('server.crt'));
  });

  it('reports a config file that cannot be read', async () => {
    const err = await errorOf(DIR + 'absent.yml');
    expect(err.message).toBe(`${DIR}absent.yml: cannot read the web config: no such file or directory`);
  });

  it('never echoes a password or hash it rejects', async () => {
    expect((await errorOf(DIR + 'user_plaintext.bad.yml')).message).not.toMatch(/\bdoe\b/);
    expect((await errorOf(DIR + 'user_apr1_hash.bad.yml')).message).not.toContain('HqJZimcKQFAMYayBlzkrA');
  });

  it('keeps the bcrypt hashes as written, $2y$ (htpasswd) and $2b$ alike', async () => {
    const c = await loadWebConfig(DIR + 'tls_users.good.yml');
    expect(c.users.get('prometheus')).toMatch(/^\$2y\$08\$/);
    expect(c.users.get('grafana')).toMatch(/^\$2b\$10\$/);
  });
});
