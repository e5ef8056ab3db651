/**
 * The static checks of `vql artifacts verify` beyond loading: calls to plugins, functions,
 * artifacts and accessors (a literal `accessor='x'`) that this engine does not know. They are warnings (the artifact may target a
 * platform or a server we do not emulate); `--strict` makes them failures. The checks live in
 * artifacts/lint.ts (shared with the editor); verify keeps its own, stable subset and wording,
 * which scripts and the corpus test read.
 */
import type { Registry } from '../vql/index.ts';
import type { ArtifactProblem, LoadedArtifact, Repository } from '../artifacts/index.ts';
import { lintArtifact as lintShared, queryFields, type QueryField } from '../artifacts/lint.ts';
import { ARTIFACT_PREFIX, type CallFinding, type CheckCode } from '../vql/check.ts';

export { queryFields, type QueryField };

const VERIFY_CODES: ReadonlySet<CheckCode> = new Set(['unknown-plugin', 'unknown-function', 'unknown-artifact', 'unknown-accessor']);

function verifyMessage(f: CallFinding): string {
  // The editor's suggestion, when there is one (`: did you mean pslist?`), after verify's stable head.
  const hint = /: did you mean [^;]*\?/.exec(f.message)?.[0] ?? '';
  if (f.code === 'unknown-artifact') return `unknown artifact ${f.callee.slice(ARTIFACT_PREFIX.length)}${hint}`;
  if (f.code === 'unknown-accessor') return `unknown accessor ${f.arg}${hint}`;
  return `${f.code === 'unknown-plugin' ? 'unknown plugin' : 'unknown function'} ${f.callee}()${hint}`;
}

/** Unknown imports (errors) and unknown plugin, function and artifact calls (warnings). */
export function lintArtifact(loaded: LoadedArtifact, registry: Registry, repo: Repository): ArtifactProblem[] {
  return lintShared(loaded, registry, repo, { codes: VERIFY_CODES, lambdas: false, message: verifyMessage });
}
