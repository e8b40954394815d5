// A real S3 server for tests: s3rver, in this process, on 127.0.0.1 with a random port and a temp
// folder, and an environment for the SDK and the `aws` CLI that reads nothing from this machine's
// own AWS configuration.
//
// s3rver checks a SigV4 request's access key ID and a presigned URL's expiry, but not the
// signature itself; tests that need signatures checked put sigv4-proxy.ts in front of it.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { tempDir } from './tmp.js';

/** s3rver's built-in account; the key ID is all it checks. */
export const S3_ACCESS_KEY_ID = 'S3RVER';
/** A secret that differs from the key ID, so a test can tell whether the secret leaked (s3rver does not check it). */
export const S3_SECRET = 'inswarm-test-secret-never-in-a-url';
export const S3_REGION = 'us-east-1';

export interface S3rverHandle {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts s3rver with `buckets` created, on a free port of 127.0.0.1. */
export async function startS3rver(buckets: readonly string[]): Promise<S3rverHandle> {
  const directory = await tempDir('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: () => server.close() as Promise<void>,
  };
}

/**
 * An AWS environment with the test credentials and nothing from this machine: a private HOME and
 * config files, no instance metadata lookups, no inherited profile, token or endpoint.
 */
export async function isolatedAwsEnv(base: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const home = await tempDir('aws-home');
  const config = join(home, 'aws-config');
  // Path-style addressing for the aws CLI: s3rver on an IP address has no bucket host names.
  await writeFile(config, `[default]\nregion = ${S3_REGION}\ns3 =\n    addressing_style = path\n`);
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3_SECRET,
    AWS_REGION: S3_REGION,
    AWS_PAGER: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Replaces this process's AWS_* variables (for in-process SDK use) and returns a function restoring them. */
export function useEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (name.startsWith('AWS_') && value !== undefined) process.env[name] = value;
  return () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    for (const [name, value] of Object.entries(saved)) if (name.startsWith('AWS_') && value !== undefined) process.env[name] = value;
  };
}

/** The Debian aws CLI when installed (a pyenv shim may shadow it on PATH), else whatever `aws` is. */
export const AWS_CLI = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
