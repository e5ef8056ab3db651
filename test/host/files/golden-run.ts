/**
 * Runs Velociraptor golden vectors with the builtins plus the file/string/data host functions
 * (scripts/conformance/harness.ts's runCase builds its own registry, so its loop is copied
 * here, comparing with the harness's own `sameValue`).
 */
import { Session, createRegistry, fromJSON, parseScript, toJSON, formatError, type Registry, type Value } from '../../../main/vql/index.ts';
import { lineDiff, missingNeeds, sameValue, type Case } from '../../../scripts/conformance/harness.ts';
import { accessorNames, registerFiles } from '../../../main/host/files/index.ts';

export interface GoldenResult {
  id: string;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

export function filesRegistry(): Registry {
  const registry = createRegistry();
  registerFiles(registry, {});
  return registry;
}

export async function runGolden(c: Case, registry: Registry, timeoutMs = 10_000): Promise<GoldenResult> {
  const missing = missingNeeds(c, registry, accessorNames(registry));
  if (missing.length) return { id: c.id, status: 'skip', detail: `needs ${missing.join(', ')}` };
  let statements;
  try {
    statements = parseScript(c.query).statements;
  } catch (e) {
    return { id: c.id, status: 'fail', detail: `parse error: ${formatError(e as Error)}` };
  }
  const controller = new AbortController();
  const logs: string[] = [];
  const session = new Session({ registry, signal: controller.signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  const results: Value[] = [];
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for (const st of statements) {
      const rows: Value[] = [];
      for await (const batch of session.execute(st)) rows.push(...batch);
      results.push(rows.length ? fromJSON(toJSON(rows)) : null);
    }
  } catch (e) {
    return { id: c.id, status: 'fail', detail: `error: ${(e as Error).stack ?? String(e)}` };
  } finally {
    clearTimeout(timer);
  }
  if (controller.signal.aborted) return { id: c.id, status: 'fail', detail: 'timed out' };
  if (sameValue(c.expected, results)) return { id: c.id, status: 'pass' };
  const diff = lineDiff(toJSON(c.expected, { indent: 1 }), toJSON(results, { indent: 1 }));
  return { id: c.id, status: 'fail', detail: `--- expected\n+++ actual\n${diff}\nlogs:\n${logs.join('\n')}` };
}
