import { createHmac, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';

/** A connected app the emulator accepts tokens requests from. */
export interface SalesforceEmulatorClient {
  readonly clientId: string;
  /** Needed for the client-credentials flow. */
  readonly clientSecret?: string;
  /** The certificate's public key (PEM or KeyObject), needed for the JWT-bearer flow. */
  readonly jwtPublicKey?: string | KeyObject;
  /** Usernames pre-authorized for JWT bearer. (Default: `leadsync@emulator.example`) */
  readonly usernames?: readonly string[];
}

export const DEFAULT_CLIENT: Required<Pick<SalesforceEmulatorClient, 'clientId' | 'clientSecret'>> = {
  clientId: 'leadsync-emulator-client',
  clientSecret: 'leadsync-emulator-secret',
};
export const DEFAULT_USERNAME = 'leadsync@emulator.example';
export const ORG_ID = '00D5e0000000001EAA';
export const USER_ID = '0055e000000001AAA';

/** Audiences a JWT assertion may name: production, sandbox, or the emulator's own URL. */
const KNOWN_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];

export type TokenAnswer = { readonly status: 200; readonly body: Record<string, string> } | { readonly status: 400; readonly body: { error: string; error_description: string } };

function oauthError(error: string, description: string): TokenAnswer {
  return { status: 400, body: { error, error_description: description } };
}

/** Issued access tokens and the token endpoint's grant handling. */
export class SalesforceEmulatorOAuth {
  private readonly tokens = new Map<string, { expiresAt: number }>();
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly clients: readonly SalesforceEmulatorClient[],
    private readonly tokenTtlMs: number,
  ) {}

  /** Every issued token stops working: the next API call gets 401 INVALID_SESSION_ID. */
  expireAll(): void {
    this.tokens.clear();
  }

  /** Issues a token without a grant, for tests that start from one (`conn.accessToken`). */
  issueDirect(instanceUrl: string): string {
    return String(this.issue(instanceUrl).body['access_token']);
  }

  isValid(token: string, now: number): boolean {
    const entry = this.tokens.get(token);
    return entry !== undefined && entry.expiresAt > now;
  }

  async grant(form: URLSearchParams, instanceUrl: string): Promise<TokenAnswer> {
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials') return this.clientCredentials(form, instanceUrl);
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.jwtBearer(form.get('assertion') ?? '', instanceUrl);
    return oauthError('unsupported_grant_type', 'grant type not supported');
  }

  private clientCredentials(form: URLSearchParams, instanceUrl: string): TokenAnswer {
    const client = this.clients.find((candidate) => candidate.clientId === form.get('client_id'));
    if (client === undefined) return oauthError('invalid_client_id', 'client identifier invalid');
    if (client.clientSecret === undefined || client.clientSecret !== form.get('client_secret')) return oauthError('invalid_client', 'invalid client credentials');
    return this.issue(instanceUrl);
  }

  private async jwtBearer(assertion: string, instanceUrl: string): Promise<TokenAnswer> {
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      // Salesforce says no more than this about a malformed assertion.
      return oauthError('invalid_grant', 'invalid assertion');
    }
    const client = this.clients.find((candidate) => candidate.clientId === claims.iss);
    if (client?.jwtPublicKey === undefined) return oauthError('invalid_client_id', 'client identifier invalid');
    const key = typeof client.jwtPublicKey === 'string' ? createPublicKey(client.jwtPublicKey) : client.jwtPublicKey;
    try {
      await jwtVerify(assertion, key, { algorithms: ['RS256'], audience: [...KNOWN_AUDIENCES, instanceUrl, instanceUrl.replace(/\/$/, '')], requiredClaims: ['exp', 'sub', 'aud'] });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return oauthError('invalid_grant', 'expired authorization code');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (error as { claim?: string }).claim === 'aud') return oauthError('invalid_grant', 'audience is invalid');
      return oauthError('invalid_grant', 'invalid assertion');
    }
    const usernames = client.usernames ?? [DEFAULT_USERNAME];
    if (typeof claims.sub !== 'string' || !usernames.includes(claims.sub)) return oauthError('invalid_grant', "user hasn't approved this consumer");
    return this.issue(instanceUrl);
  }

  private issue(instanceUrl: string): { status: 200; body: Record<string, string> } {
    const token = `${ORG_ID.slice(0, 15)}!AR${randomBytes(24).toString('base64url')}`;
    const issuedAt = Date.now();
    this.tokens.set(token, { expiresAt: issuedAt + this.tokenTtlMs });
    const id = `${instanceUrl}/id/${ORG_ID}/${USER_ID}`;
    return {
      status: 200,
      body: {
        access_token: token,
        signature: createHmac('sha256', this.signingKey).update(`${id}${issuedAt}`).digest('base64'),
        token_format: 'opaque',
        scope: 'api',
        instance_url: instanceUrl,
        id,
        token_type: 'Bearer',
        issued_at: String(issuedAt),
      },
    };
  }
}
