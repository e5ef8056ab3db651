/**
 * The server-side configuration for the event artifacts of a pack (VELOCIRAPTOR.md 3.4, 6.5).
 * Since Velociraptor 0.3 the client event table is data, not configuration: it is changed
 * from VQL (`add_client_monitoring(artifact, parameters, label)`) or the GUI, and takes
 * effect at once; `Frontend.default_client_monitoring_artifacts` in server.config.yaml only
 * seeds the table of a server that has none saved yet, and takes names without parameters.
 * The snippet gives both: the VQL (with each parameter's default, as text) in comments, and
 * the config keys as YAML.
 */
import type { Artifact } from './schema.ts';

/** A VQL string literal on one line (it goes in a comment): backslashes, quotes and line breaks escaped. */
function vqlString(s: string): string {
  if (!/[\\'\n\r]/.test(s)) return `'${s}'`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** `add_client_monitoring(...)` for one artifact with its parameter defaults. */
function addMonitoring(a: Artifact): string {
  const params = (a.parameters ?? []).filter((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name));
  const dict = params.map((p) => `${p.name}=${vqlString(p.default ?? '')}`).join(', ');
  return `SELECT add_client_monitoring(artifact=${vqlString(a.name)}${dict ? `, parameters=dict(${dict})` : ''}) FROM scope()`;
}

const list = (key: string, names: string[]) => [`  ${key}:`, ...names.map((n) => `    - ${n}`)];

/**
 * The snippet for the CLIENT_EVENT (and SERVER_EVENT) artifacts among `artifacts` (as named
 * in the pack); '' when there are none.
 */
export function serverConfigSnippet(artifacts: readonly Artifact[]): string {
  const client = artifacts.filter((a) => a.type === 'client_event');
  const server = artifacts.filter((a) => a.type === 'server_event');
  if (!client.length && !server.length) return '';
  const lines = [
    '# Velociraptor server: run the event artifacts of this pack.',
    '# 1. Upload the pack: View Artifacts > Upload Artifact Pack.',
  ];
  if (client.length) {
    lines.push(
      '# 2. Add the client event artifacts to the client event table from a server notebook',
      '#    (VQL; takes effect at once; the values are the parameter defaults, change them here):',
      '#',
      ...client.map((a) => `#      ${addMonitoring(a)}`),
      '#',
      '#    or with Client Events > Update client monitoring table (the same parameters).',
    );
  }
  if (server.length) lines.push('# Server event artifacts: Server Events > Update server monitoring table.');
  lines.push(
    '# 3. Or merge the keys below into server.config.yaml: they seed the event tables of a server',
    '#    that has none saved yet (once, with default parameters; Server.Monitor.Health is always on).',
    'Frontend:',
  );
  if (client.length) lines.push(...list('default_client_monitoring_artifacts', client.map((a) => a.name)));
  if (server.length) lines.push(...list('default_server_monitoring_artifacts', server.map((a) => a.name)));
  return lines.join('\n') + '\n';
}
