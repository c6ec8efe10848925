import path from 'node:path';

/**
 * Leaves the AWS default credential chain only the endpoints a test sets up (a container credentials
 * endpoint, a fake STS): no keys in the environment, no shared files, no IMDS, no web identity.
 */
export function isolateAwsCredentialChain(tmpDir: string): void {
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(tmpDir, 'no-credentials');
  process.env.AWS_CONFIG_FILE = path.join(tmpDir, 'no-config');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
