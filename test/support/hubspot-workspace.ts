import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { loadConfig, loadConfigDocument, pulledSchemaPath, type LoadedConfig } from '../../src/config/config-loader.js';
import { pulledSchemaDocument } from '../../src/config/pulled-schema.js';
import { describeDestination } from '../../src/server/schema-discovery.js';
import { objectsFromCrmSchema, startHubSpotEmulator, type HubSpotEmulator, type HubSpotEmulatorOptions } from '../emulators/hubspot/hubspot-emulator.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** A temp directory with a leadsync config pointed at a running HubSpot emulator, and its schema pulled. */
export interface HubSpotWorkspace {
  readonly dir: string;
  readonly configFile: string;
  readonly emulator: HubSpotEmulator;
  /** The environment the config reads its token from. */
  readonly env: Readonly<Record<string, string>>;
  load(): Promise<LoadedConfig>;
  /** Stops the emulator; removes the directory unless `keep`. */
  close(keep?: boolean): Promise<void>;
}

export interface HubSpotWorkspaceOptions {
  readonly emulator?: HubSpotEmulatorOptions;
  /** YAML lines under `destination:` after kind, token and baseUrl (indent 2). (Default: tier professional) */
  readonly destinationYaml?: string;
  /** YAML of the whole `sources:` block. (Default: webform realtime, apollo batch, no signatures) */
  readonly sourcesYaml?: string;
  /** Extra top-level YAML (lanes, retry…). */
  readonly extraYaml?: string;
  /** Write `schema/hubspot.pulled.yaml` by describing the emulator. (Default: true) */
  readonly pullSchema?: boolean;
}

const DEFAULT_SOURCES = `sources:
  webform: { preset: webform, lane: realtime }
  apollo: { preset: apollo, lane: batch }
`;

/**
 * The emulator serves the example CRM schema's objects (examples/crm-schema.yaml,
 * contacts and companies) as HubSpot properties, so every preset mapping fits.
 */
export async function openHubSpotWorkspace(options: HubSpotWorkspaceOptions = {}): Promise<HubSpotWorkspace> {
  const example = await loadConfig('examples/leadsync.yaml', { env: {} });
  const emulator = await startHubSpotEmulator({ objects: objectsFromCrmSchema(example.schema), ...options.emulator });
  const dir = makeTempDir('leadsync-hubspot-');
  const configFile = join(dir, 'leadsync.yaml');
  const env = { HUBSPOT_TOKEN: emulator.token };
  writeFileSync(
    configFile,
    `version: 1
storage: { file: ${JSON.stringify(join(dir, 'leadsync.db'))}, synchronous: normal }
destination:
  kind: hubspot
  token: \${HUBSPOT_TOKEN}
  baseUrl: ${emulator.url}
${options.destinationYaml ?? '  tier: professional\n'}${options.sourcesYaml ?? DEFAULT_SOURCES}${options.extraYaml ?? ''}`,
  );
  if (options.pullSchema !== false) {
    const document = await loadConfigDocument(configFile, { env });
    const pulled = pulledSchemaDocument(await describeDestination(document), 'hubspot', new Date());
    const file = join(dir, pulledSchemaPath('hubspot'));
    await mkdir(dirname(file), { recursive: true });
    writeFileSync(file, pulled.yaml);
  }
  return {
    dir,
    configFile,
    emulator,
    env,
    load: () => loadConfig(configFile, { env }),
    async close(keep = false) {
      await emulator.close();
      if (keep) console.error(`kept the HubSpot workspace: ${dir}`);
      else removeTempDir(dir);
    },
  };
}

/** {@link openHubSpotWorkspace} for the current test: closed when it finishes, its directory kept (and named on stderr) when it failed. */
export async function hubSpotWorkspaceForThisTest(options: HubSpotWorkspaceOptions = {}): Promise<HubSpotWorkspace> {
  const workspace = await openHubSpotWorkspace(options);
  onTestFinished(async (context) => {
    await workspace.close(context.task.result?.state === 'fail');
  });
  return workspace;
}
