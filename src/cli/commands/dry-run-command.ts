import { readFile } from 'node:fs/promises';
import type { LoadedConfig } from '../../config/config-loader.js';
import type { CurrentFieldState, CurrentRecord } from '../../core/merge/plan-types.js';
import { planEvent, prepareEvent } from '../../core/plan/event-planner.js';
import type { EventPlan } from '../../core/plan/event-plan-types.js';
import { planContextFor } from '../../config/plan-context.js';
import { EXIT, readAll, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import { UsageError } from '../usage-error.js';
import { renderPlan } from '../plan-renderer.js';

export interface DryRunOptions {
  readonly source: string;
  readonly current?: string;
  readonly json?: boolean;
}

/**
 * `leadsync dry-run --config F --source S [--current record.json] <payload.json|->`:
 * the plan an event would produce, written nowhere. Exit 0 when the event would be
 * written (or changes nothing), 1 when any part of it would be rejected.
 */
export async function dryRunCommand(config: LoadedConfig, payloadFile: string, options: DryRunOptions, io: CliIo): Promise<ExitCode> {
  const source = config.sources.get(options.source);
  if (!source) throw new UsageError(`no source "${options.source}" in ${config.file} (sources: ${[...config.sources.keys()].join(', ')})`);
  const payload = parseJson(payloadFile === '-' ? await readAll(io.stdin) : await readText(payloadFile), payloadFile === '-' ? 'stdin' : payloadFile);
  const currents = options.current === undefined ? new Map<string, CurrentRecord>() : readCurrents(parseJson(await readText(options.current), options.current), options.current);

  const context = planContextFor(config, source);
  const prepared = prepareEvent(payload, context);
  const keyed = new Map<string, CurrentRecord | null>();
  if (prepared.ok) {
    for (const object of prepared.objects) {
      if (object.status === 'ready') keyed.set(object.leadKey, currents.get(object.object) ?? null);
    }
  }
  const plan = planEvent(prepared, keyed, context);
  if (options.json) writeJson(io.stdout, plan, true);
  else writeLine(io.stdout, renderPlan(plan));
  return wouldBeWritten(plan) ? EXIT.ok : EXIT.failed;
}

function wouldBeWritten(plan: EventPlan): boolean {
  return plan.outcome === 'write' || plan.outcome === 'no_change';
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * `--current` file: `{ "<object>": { "id": "…", "fields": { "<field>": value | { value, appliedAt, confidence, source } } } }`.
 * A plain value stands for a value set outside leadsync (no timestamp, confidence or source).
 */
function readCurrents(document: unknown, file: string): Map<string, CurrentRecord> {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new UsageError(`${file}: expected an object keyed by CRM object name, e.g. {"contacts": {"fields": {"jobtitle": "CTO"}}}`);
  }
  const currents = new Map<string, CurrentRecord>();
  for (const [object, record] of Object.entries(document as Record<string, unknown>)) {
    if (record === null || typeof record !== 'object' || !('fields' in record) || typeof record.fields !== 'object' || record.fields === null) {
      throw new UsageError(`${file}: ${object} needs a "fields" object`);
    }
    const fields: Record<string, CurrentFieldState> = {};
    for (const [field, state] of Object.entries(record.fields as Record<string, unknown>)) {
      fields[field] = state !== null && typeof state === 'object' && !Array.isArray(state) && 'value' in state ? (state as CurrentFieldState) : { value: state as CurrentFieldState['value'] };
    }
    const id = 'id' in record && typeof record.id === 'string' ? record.id : `${object}-current`;
    currents.set(object, { id, fields });
  }
  return currents;
}
