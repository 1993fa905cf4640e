/**
 * The one registry of stable error codes. A code is never reused or renamed:
 * users grep logs, alerts and DLQ items for them. `docs/errors.md` is kept in
 * step with this table by a test (`npm run docs:errors` regenerates it).
 */
export interface ErrorDefinition {
  /** Short human message; details are added where the error is raised. */
  readonly message: string;
  /** Whether retrying the same work may succeed without a change by a person. */
  readonly retryable: boolean;
  /** HTTP status where the error reaches the API; absent when it never does. */
  readonly httpStatus?: number;
  /** What to do about it. */
  readonly fix: string;
}

export const ERROR_CODES = {
  // --- normalization ---------------------------------------------------------
  NORMALIZE_EMPTY_VALUE: { message: 'The value is empty', retryable: false, fix: 'Send a non-empty value or leave the field out.' },
  NORMALIZE_TITLE_UNRECOGNISED: { message: 'The job title has no recognised role word', retryable: false, fix: 'Add the word to normalizers.title in the config, or map the field without a normalizer.' },
  NORMALIZE_COUNTRY_UNKNOWN: { message: 'The country is not a known country name or ISO code', retryable: false, fix: 'Send an ISO 3166 code or English name, or add an alias under normalizers.country.aliases.' },
  NORMALIZE_COMPANY_EMPTY: { message: 'Nothing is left of the company name once legal suffixes are removed', retryable: false, fix: 'Check the source field; it holds only a legal-entity suffix.' },
  NORMALIZE_DOMAIN_INVALID: { message: 'The value has no registrable domain under a public suffix', retryable: false, fix: 'Send a URL, host name or email address whose domain ends in a public suffix.' },
  NORMALIZE_PHONE_COUNTRY_REQUIRED: { message: 'A national phone number needs a country to be read', retryable: false, fix: 'Pass --country, map the lead country, or send the number in +E.164 form.' },
  NORMALIZE_PHONE_INVALID: { message: 'The phone number cannot be parsed or is not a possible number', retryable: false, fix: 'Check the digits and the country.' },
  NORMALIZE_INTENT_INVALID: { message: 'The intent value is not a score, fraction, percentage or known level word', retryable: false, fix: 'Send 0..1, 0..100, "NN%", or one of hot/warm/cold/high/medium/low/strong/moderate/weak.' },
  NORMALIZE_EMAIL_INVALID: { message: 'The email address is not valid', retryable: false, fix: 'Check the address; it needs a local part, an @ and a domain under a public suffix.' },
  NORMALIZE_KIND_UNKNOWN: { message: 'There is no normalizer of that kind', retryable: false, fix: 'Use one of: title, country, company, domain, email, phone, intent.' },

  // --- mapping ---------------------------------------------------------------
  MAPPING_LEAD_ID_MISSING: { message: 'The payload has no value at the lead id path', retryable: false, httpStatus: 422, fix: 'Send the lead id, or point identity.leadId at the field that holds it.' },
  MAPPING_UPDATED_AT_MISSING: { message: 'The payload has no value at the source updated-at path', retryable: false, httpStatus: 422, fix: 'Send the source timestamp, or point identity.updatedAt at the field that holds it.' },
  MAPPING_UPDATED_AT_INVALID: { message: 'The source updated-at value is not a date-time', retryable: false, httpStatus: 422, fix: 'Send an ISO 8601 date-time or epoch milliseconds/seconds.' },
  MAPPING_PAYLOAD_NOT_OBJECT: { message: 'The payload is not a JSON object', retryable: false, httpStatus: 400, fix: 'Send one JSON object per event.' },
  MAPPING_PICKLIST_UNMAPPED: { message: 'The value matches no entry of the field\'s picklist map', retryable: false, fix: 'Add the value as a synonym in the mapping\'s values table.' },
  MAPPING_VALUE_NOT_SCALAR: { message: 'The value at the mapped path is an object, not a scalar or list', retryable: false, fix: 'Point `from` at a scalar field inside the object.' },
  MAPPING_SOURCE_UNKNOWN: { message: 'No source of that name is configured', retryable: false, httpStatus: 404, fix: 'Use a source name from the config\'s sources section.' },

  // --- CRM schema validation -------------------------------------------------
  CRM_FIELD_UNKNOWN: { message: 'The CRM object has no field of that name', retryable: false, fix: 'Fix the field name in the mapping, or run `leadsync schema pull` if the field was added recently.' },
  CRM_TYPE_MISMATCH: { message: 'The value does not fit the CRM field type', retryable: false, fix: 'Add a normalizer or a value map so the value has the field\'s type.' },
  CRM_REQUIRED_MISSING: { message: 'A required CRM field has no value', retryable: false, fix: 'Map a source field to it or give it a default in the mapping.' },
  CRM_PICKLIST_MISMATCH: { message: 'The value is not an active option of the CRM picklist', retryable: false, fix: 'Map the value to one of the suggested options in the mapping\'s values table.' },
  CRM_VALUE_TOO_LONG: { message: 'The value is longer than the CRM field allows', retryable: false, fix: 'Shorten the value, or set truncate: true on the mapping field.' },
  CRM_FIELD_READ_ONLY: { message: 'The CRM field is read-only', retryable: false, fix: 'Remove the field from the mapping; the CRM computes it.' },
  CRM_OBJECT_UNKNOWN: { message: 'The CRM schema has no object of that name', retryable: false, fix: 'Use an object declared in destination.schema.' },

  // --- configuration ---------------------------------------------------------
  CONFIG_FILE_NOT_FOUND: { message: 'The config file cannot be read', retryable: false, fix: 'Check the path given to --config.' },
  CONFIG_YAML_SYNTAX: { message: 'The config file is not valid YAML', retryable: false, fix: 'Fix the YAML at the line shown.' },
  CONFIG_INVALID: { message: 'The config does not match the config schema', retryable: false, fix: 'Fix the value at the path shown; schema/leadsync.schema.json gives editor completion.' },
  CONFIG_ENV_MISSING: { message: 'The config refers to an environment variable that is not set', retryable: false, fix: 'Export the variable, or give a default with ${NAME:-default}.' },
  CONFIG_REFERENCE_INVALID: { message: 'The config refers to something it does not define', retryable: false, fix: 'Define the referenced source, mapping, object or field, or fix the name.' },

  // --- check (config vs CRM schema) ------------------------------------------
  CHECK_PICKLIST_OPTION_MISSING: { message: 'A picklist map points at an option the CRM field does not have', retryable: false, fix: 'Point the synonym at one of the field\'s options, or add the option in the CRM and pull the schema.' },
  CHECK_REQUIRED_UNMAPPED: { message: 'A required CRM field is filled by no mapping and has no default', retryable: false, fix: 'Map a source field to it or give it a default.' },
  CHECK_NORMALIZER_TYPE_MISMATCH: { message: 'The normalizer output cannot fit the CRM field type', retryable: false, fix: 'Choose a normalizer output whose type matches the field, or another field.' },
  CHECK_MATCH_NOT_UNIQUE: { message: 'Records are matched on a field the CRM does not mark unique', retryable: false, fix: 'Match on a unique field (email for contacts, domain for companies) or mark the field unique in the CRM.' },
  CHECK_PICKLIST_UNCOVERED: { message: 'A normalizer output has no matching picklist option and no value map entry', retryable: false, fix: 'Add a value map entry for it so no lead is rejected at write time.' },

  // --- usage -----------------------------------------------------------------
  USAGE_INVALID: { message: 'The command line is not valid', retryable: false, fix: 'Run the command with --help.' },
  INPUT_JSON_INVALID: { message: 'The input is not valid JSON', retryable: false, httpStatus: 400, fix: 'Send well-formed JSON.' },
  INPUT_CSV_INVALID: { message: 'The CSV row cannot be read: a quoting error or a different number of columns than the header', retryable: false, fix: 'Fix the row at the line shown: quote fields that contain commas, quotes or line breaks, and give every row one value per header column.' },

  // --- CRM calls -------------------------------------------------------------
  CRM_UNAVAILABLE: { message: 'The CRM is unavailable or timed out', retryable: true, httpStatus: 503, fix: 'Nothing to do: the write is retried with backoff. If it persists, check the CRM status page and network.' },
  CRM_RATE_LIMITED: { message: 'The CRM refused the call because of its rate limit', retryable: true, httpStatus: 429, fix: 'Nothing to do: the write is retried after Retry-After. If it persists, lower the batch lane rate or raise the CRM API limit.' },
  CRM_REJECTED: { message: 'The CRM rejected the record', retryable: false, fix: 'Read the message for the CRM\'s reason, fix the mapping or the record, then replay the DLQ item.' },

  // --- storage ---------------------------------------------------------------
  STORAGE_SCHEMA_NEWER: { message: 'The database was migrated by a newer leadsync than this one', retryable: false, fix: 'Run the newer leadsync version, or point this one at another database file.' },
  STORAGE_MIGRATION_FAILED: { message: 'A database migration failed and was rolled back', retryable: false, fix: 'The database is unchanged. Fix what the message names (it says what to do where it knows: a missing schema, a pooler that dropped the search_path) or else the disk space or permissions, and start again.' },
  STORAGE_UNREACHABLE: { message: 'PostgreSQL cannot be reached: nothing answers at the storage URL\'s host and port, the host name does not resolve, the connection timed out, or the server (or a pooler in front of it) is restarting', retryable: true, httpStatus: 503, fix: 'Start PostgreSQL (or wait until it is up), or fix the host and port of storage.url / DATABASE_URL; `pg_isready -h <host> -p <port>` checks from the same machine.' },
  STORAGE_AUTH_FAILED: { message: 'PostgreSQL refused the login: wrong password, unknown role, or no pg_hba.conf entry for this host, user and database', retryable: false, fix: 'Fix the user and password in storage.url / DATABASE_URL, or create the role (CREATE ROLE <user> LOGIN PASSWORD …) and allow it in pg_hba.conf.' },
  STORAGE_DATABASE_NOT_FOUND: { message: 'The PostgreSQL database the storage URL names does not exist', retryable: false, fix: 'Create it (`createdb <name>`, or CREATE DATABASE <name>), or fix the database name at the end of storage.url / DATABASE_URL.' },
  STORAGE_CONNECTION_REJECTED: { message: 'PostgreSQL, or a connection pooler in front of it, rejected the connection', retryable: false, fix: 'Read the reason in the message. A pooler (PgBouncer) refusing options= needs the schema on the role instead (docs/deploy.md, section 3); too many connections needs fewer leadsync processes or a higher max_connections.' },
  STORAGE_FILE_UNUSABLE: { message: 'The SQLite database file cannot be created, opened or written', retryable: false, fix: 'Make the file and its directory writable by the user running leadsync, or point storage.file at a writable place (not a directory, not a read-only disk).' },
  STORAGE_DISK_FULL: { message: 'No space is left on the disk (or in the quota) holding the SQLite database', retryable: false, fix: 'Free space on that disk, or move storage.file to a disk with room, then start again; nothing was half-written.' },
  PAGE_CURSOR_INVALID: { message: 'The page cursor is not one this listing handed out', retryable: false, httpStatus: 400, fix: 'Pass the nextCursor of the previous page unchanged, or leave the cursor out to start at the first page.' },

  // --- ingest ----------------------------------------------------------------
  INGEST_SIGNATURE_MISSING: { message: 'The delivery carries no signature headers', retryable: false, httpStatus: 401, fix: 'Sign deliveries as the source\'s signature scheme says (`leadsync send` shows how).' },
  INGEST_SIGNATURE_INVALID: { message: 'The signature matches none of the source\'s secrets', retryable: false, httpStatus: 401, fix: 'Check the secret configured for the source on both sides.' },
  INGEST_TIMESTAMP_OUT_OF_TOLERANCE: { message: 'The signed timestamp is too far from now', retryable: false, httpStatus: 401, fix: 'Check the sender\'s clock; deliveries older than the tolerance are refused as replays.' },
  INGEST_BODY_TOO_LARGE: { message: 'The request body is larger than the limit', retryable: false, httpStatus: 413, fix: 'Send one event per request, or raise service.bodyLimitBytes.' },
  INGEST_IDEMPOTENCY_CONFLICT: { message: 'An event with the same idempotency key but a different payload was already accepted', retryable: false, httpStatus: 409, fix: 'A source update must change its updated-at timestamp; the conflicting delivery is recorded and not processed.' },
  LEAD_NOT_FOUND: { message: 'No CRM record and no audit history for that lead key', retryable: false, httpStatus: 404, fix: 'Lead keys look like contacts:ada@example.com (object, colon, match value).' },
  WORKER_PAYLOAD_PURGED: { message: 'The event payload was purged by retention before it could be processed', retryable: false, fix: 'Raise storage.payloadRetentionDays, and resend the event from the source.' },
  WORKER_UNEXPECTED: { message: 'The worker failed unexpectedly while processing the event', retryable: true, fix: 'See the trace; if it repeats, the event is dead-lettered and can be replayed after a fix.' },

  // --- operator actions (DLQ, approvals, audit) --------------------------------
  DLQ_ITEM_NOT_FOUND: { message: 'There is no dead-letter item with that id', retryable: false, httpStatus: 404, fix: 'List the ids with `leadsync dlq list` (or GET /v1/dlq).' },
  DLQ_ITEM_NOT_OPEN: { message: 'The dead-letter item was already replayed or discarded', retryable: false, httpStatus: 409, fix: 'Nothing to do; `leadsync dlq show <id>` says who resolved it and when.' },
  APPROVAL_NOT_FOUND: { message: 'There is no approval item with that id', retryable: false, httpStatus: 404, fix: 'List the ids with `leadsync approvals list` (or GET /v1/approvals).' },
  APPROVAL_NOT_PENDING: { message: 'The approval item was already approved, rejected or expired', retryable: false, httpStatus: 409, fix: 'Nothing to do; a newer event from the source proposes the change again.' },
  APPROVAL_STALE: { message: 'The approval no longer matches the CRM: the field changed after the item was created', retryable: false, httpStatus: 409, fix: 'Reject the item; if the change is still wanted, the next event from the source proposes it against the current value.' },
  AUDIT_CHAIN_BROKEN: { message: 'The audit chain does not verify: a row was changed, removed, inserted or reordered', retryable: false, fix: 'Treat the database as tampered with: keep a copy, restore the audit table from a backup, and find who had write access.' },

  // --- access control (API tokens, dashboard) -----------------------------------
  AUTH_TOKEN_MISSING: { message: 'The request carries no API token', retryable: false, httpStatus: 401, fix: 'Send `Authorization: Bearer <token>`, or log in to the dashboard; an admin creates tokens with `leadsync tokens create`.' },
  AUTH_TOKEN_INVALID: { message: 'The API token is unknown or revoked', retryable: false, httpStatus: 401, fix: 'Check the token, or ask an admin for a new one (`leadsync tokens list` shows which are active).' },
  AUTH_ROLE_INSUFFICIENT: { message: 'The API token\'s role may not do this', retryable: false, httpStatus: 403, fix: 'Use a token with the role the message names; roles are viewer < operator < admin (docs/dashboard.md).' },
  AUTH_ORIGIN_REFUSED: { message: 'A change sent with the dashboard cookie lacks the dashboard\'s request header', retryable: false, httpStatus: 403, fix: 'Send changes from the dashboard, or authenticate scripts with `Authorization: Bearer <token>` instead of the cookie.' },
  AUTH_TOKEN_NAME_TAKEN: { message: 'An active API token already has that name', retryable: false, httpStatus: 409, fix: 'Choose another name, or revoke the old token first (`leadsync tokens revoke <name>`).' },
  AUTH_TOKEN_NOT_FOUND: { message: 'There is no API token with that id or name', retryable: false, httpStatus: 404, fix: 'List the tokens with `leadsync tokens list`.' },
  SERVICE_READ_ONLY: { message: 'The service runs in read-only mode: changes are refused', retryable: false, httpStatus: 403, fix: 'Set service.readOnly: false in the config and reload, or make the change where the service is not read-only.' },

  // --- CRM rate-limit governor -------------------------------------------------
  CRM_DESTINATION_PAUSED: { message: 'The CRM destination is paused: its daily API limit is used up, or a Retry-After is longer than a job may wait', retryable: true, httpStatus: 503, fix: 'Nothing to do: jobs wait and resume when the pause ends (/readyz shows until when). To resume sooner, raise the CRM\'s daily API limit.' },

  // --- CRM destinations (HubSpot, Salesforce) ----------------------------------
  CRM_AUTH: { message: 'The CRM refused the credentials: the token is missing, wrong, expired or revoked', retryable: false, fix: 'Check destination.token (a HubSpot private-app token is sent bare, without "Bearer "), or create a new token and restart.' },
  CRM_PERMISSION_DENIED: { message: 'The CRM credentials lack a permission (scope) the call needs', retryable: false, fix: 'Grant the scopes the message names to the private app or connected app, then replay the DLQ items.' },
  CRM_DAILY_LIMIT: { message: 'The CRM\'s daily API call limit is used up', retryable: true, httpStatus: 429, fix: 'Nothing to do: the destination pauses until the daily limit resets. To resume sooner, buy an API limit increase or lower other integrations\' use.' },
  CRM_MULTIPLE_MATCHES: { message: 'The match value finds more than one CRM record, so the CRM cannot tell which to update', retryable: false, fix: 'Merge or fix the duplicate records in the CRM (the message lists their ids), mark the external id field Unique, then replay the DLQ item.' },
  CRM_RECORD_LOCKED: { message: 'The CRM record was locked by another write in progress (Salesforce UNABLE_TO_LOCK_ROW)', retryable: true, fix: 'Nothing to do: the write is retried. If it persists, lower the number of parallel writers or the batch size for that object.' },
  CRM_CREATE_RACE: { message: 'Another request created the same record at the same moment, and the CRM refused this upsert instead of updating it (Salesforce DUPLICATE_VALUE on the external id upserted by)', retryable: true, fix: 'Nothing to do: the write is retried, and the retry updates the record the other request created.' },

  // --- service start -----------------------------------------------------------
  SERVICE_PORT_IN_USE: { message: 'Another process already listens on the port', retryable: false, fix: 'Stop the other process (`ss -ltnp` shows which), or choose another port: --port or service.port for the service, --metrics-port for a worker\'s metrics.' },
  SERVICE_LISTEN_REFUSED: { message: 'The service cannot listen on that host and port: the host is not an address of this machine, or the port needs privileges', retryable: false, fix: 'Set service.host to an address of this machine (127.0.0.1, or 0.0.0.0 for every interface), and use a port above 1023 unless leadsync may bind low ports.' },

  // --- CLI ---------------------------------------------------------------------
  CLI_UNEXPECTED: { message: 'The command failed unexpectedly', retryable: false, fix: 'Most likely a bug: known environment problems (storage unreachable, disk full, port in use) have codes of their own. Report it with the trace printed on stderr.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function errorDefinition(code: ErrorCode): ErrorDefinition {
  return ERROR_CODES[code];
}

/** An error that carries a stable code, structured details and a cause. */
export class LeadsyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeadsyncError';
    this.code = code;
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}
