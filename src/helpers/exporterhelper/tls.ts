// Client TLS settings for network exporters (a subset of the Collector's configtls shape).
import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';

export const ClientTlsSettings = Type.Object(
  {
    insecure: Type.Boolean({
      default: false,
      description: 'gRPC only: plaintext (h2c) instead of TLS. An http:// endpoint is plaintext, https:// is TLS.',
    }),
    ca_file: Type.Optional(
      Type.String({ minLength: 1, description: 'PEM file of CA certificates to trust instead of the system ones.' }),
    ),
    cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (mTLS).' })),
    key_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client private key (mTLS).' })),
    insecure_skip_verify: Type.Boolean({
      default: false,
      description: 'Do not verify the server certificate (testing only).',
    }),
    server_name_override: Type.Optional(
      Type.String({ minLength: 1, description: 'Server name for SNI and certificate verification.' }),
    ),
  },
  {
    additionalProperties: false,
    default: { insecure: false, insecure_skip_verify: false },
    description: 'Client TLS.',
  },
);
export type ClientTlsConfig = Static<typeof ClientTlsSettings>;

export function defaultClientTls(): ClientTlsConfig {
  return { insecure: false, insecure_skip_verify: false };
}

/** Options for `tls.connect` / `https.Agent` / `http2.connect`. */
export interface LoadedTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** Read the PEM files (synchronously: this runs while the pipeline graph is built, so a missing
 * file fails `validate` and start-up, not the first export). */
export function loadClientTls(cfg: ClientTlsConfig): LoadedTls {
  return {
    ...(cfg.ca_file === undefined ? {} : { ca: readFileSync(cfg.ca_file) }),
    ...(cfg.cert_file === undefined ? {} : { cert: readFileSync(cfg.cert_file) }),
    ...(cfg.key_file === undefined ? {} : { key: readFileSync(cfg.key_file) }),
    rejectUnauthorized: !cfg.insecure_skip_verify,
    ...(cfg.server_name_override === undefined ? {} : { servername: cfg.server_name_override }),
  };
}

export function validateClientTls(cfg: ClientTlsConfig): ConfigProblem[] {
  if ((cfg.cert_file === undefined) !== (cfg.key_file === undefined)) {
    return [
      {
        path: ['tls', cfg.cert_file === undefined ? 'cert_file' : 'key_file'],
        message: 'cert_file and key_file go together',
      },
    ];
  }
  return [];
}
