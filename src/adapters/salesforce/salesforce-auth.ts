import { importPKCS8, SignJWT } from 'jose';

/** How leadsync gets a Salesforce access token (a connected app either way). */
export type SalesforceAuth =
  | {
      /** OAuth 2.0 client-credentials flow; needs a My Domain login URL and a run-as user on the connected app. */
      readonly kind: 'client_credentials';
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      /** OAuth 2.0 JWT-bearer flow: an RS256 assertion signed with the connected app certificate's private key. */
      readonly kind: 'jwt_bearer';
      readonly clientId: string;
      /** The pre-authorized Salesforce user the token acts as. */
      readonly username: string;
      /** PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`). */
      readonly privateKey: string;
      /** The assertion's `aud`. (Default: `https://test.salesforce.com` when loginUrl is a sandbox/test URL, else `https://login.salesforce.com`) */
      readonly audience?: string;
    };

export interface SalesforceToken {
  readonly accessToken: string;
  /** `instance_url` of the token answer, when it gave one. */
  readonly instanceUrl: string | undefined;
}

/** The token endpoint said no, or could not be reached. */
export class SalesforceAuthError extends Error {
  constructor(
    message: string,
    /** True when trying again later may work (network, 5xx); false for a refused grant. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SalesforceAuthError';
  }
}

/** How long a JWT assertion is valid; Salesforce allows at most 3 minutes. */
const ASSERTION_LIFETIME_SECONDS = 170;

function defaultAudience(loginUrl: string): string {
  return /test\.salesforce\.com|\.sandbox\.my\.salesforce\.com/i.test(loginUrl) ? 'https://test.salesforce.com' : 'https://login.salesforce.com';
}

/**
 * Gets access tokens from `{loginUrl}/services/oauth2/token` and caches one
 * until told it expired (401 INVALID_SESSION_ID): Salesforce does not say how
 * long a session lives. Concurrent callers share one token request.
 */
export class SalesforceTokenSource {
  private current: Promise<SalesforceToken> | undefined;
  /** The token `current` resolved to; undefined while a request is in flight. */
  private settled: SalesforceToken | undefined;

  constructor(
    private readonly loginUrl: string,
    private readonly auth: SalesforceAuth,
    private readonly fetchFn: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  token(): Promise<SalesforceToken> {
    if (this.current === undefined) {
      this.settled = undefined;
      this.current = this.request().then(
        (token) => {
          this.settled = token;
          return token;
        },
        (error: unknown) => {
          this.current = undefined;
          throw error;
        },
      );
    }
    return this.current;
  }

  /** Drops the cached token if it is still `stale`, so the next call fetches a new one (once, however many callers saw it fail). */
  invalidate(stale: SalesforceToken): void {
    if (this.settled?.accessToken !== stale.accessToken) return;
    this.settled = undefined;
    this.current = undefined;
  }

  private async request(): Promise<SalesforceToken> {
    const form = new URLSearchParams();
    if (this.auth.kind === 'client_credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', this.auth.clientId);
      form.set('client_secret', this.auth.clientSecret);
    } else {
      form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      form.set('assertion', await this.assertion(this.auth));
    }
    const url = `${this.loginUrl.replace(/\/+$/, '')}/services/oauth2/token`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new SalesforceAuthError(`Salesforce token endpoint unreachable: ${(error as Error).message}`, true, { cause: error });
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new SalesforceAuthError(`Salesforce token endpoint answered ${response.status} with a non-JSON body`, response.status >= 500, { cause: error });
    }
    if (!response.ok) {
      const error = typeof body['error'] === 'string' ? body['error'] : String(response.status);
      const reason = typeof body['error_description'] === 'string' ? body['error_description'] : 'no reason given';
      throw new SalesforceAuthError(`Salesforce refused the ${this.auth.kind} grant: ${error} (${reason})`, response.status >= 500);
    }
    const accessToken = body['access_token'];
    if (typeof accessToken !== 'string' || accessToken === '') throw new SalesforceAuthError('Salesforce token answer has no access_token', false);
    const instanceUrl = body['instance_url'];
    return { accessToken, instanceUrl: typeof instanceUrl === 'string' ? instanceUrl : undefined };
  }

  private async assertion(auth: Extract<SalesforceAuth, { kind: 'jwt_bearer' }>): Promise<string> {
    let key: Awaited<ReturnType<typeof importPKCS8>>;
    try {
      key = await importPKCS8(auth.privateKey, 'RS256');
    } catch (error) {
      throw new SalesforceAuthError('destination.auth.privateKey is not a PKCS#8 PEM RSA private key (-----BEGIN PRIVATE KEY-----)', false, { cause: error });
    }
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(auth.clientId)
      .setSubject(auth.username)
      .setAudience(auth.audience ?? defaultAudience(this.loginUrl))
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .sign(key);
  }
}
