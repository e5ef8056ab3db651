// Shared by the yara() and yara_lint() tests: a query over the builtins, the file functions and
// the YARA plugins, with its rows as JSON data and its log lines.
import { collect, createRegistry, toJSON } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerYara } from '../../../main/host/yara/index.ts';

export async function q(text: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, any>>; logs: string[] }> {
  const registry = createRegistry();
  registerFiles(registry, {});
  registerYara(registry, {});
  const logs: string[] = [];
  const rows = await collect(text, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)), logs };
}
