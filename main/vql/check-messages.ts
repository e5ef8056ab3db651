/**
 * The messages of the static call checks (check.ts): what is wrong, then what to do, with
 * "did you mean" suggestions from the registry's candidates (args.ts `suggest`).
 */
import { editDistance, suggest, type ArgSpec } from './args.ts';
import type { Registry } from './registry.ts';

/** What a finding is about. */
export type CheckCode = 'unknown-plugin' | 'unknown-function' | 'unknown-artifact' | 'unknown-argument' | 'missing-argument' | 'unknown-accessor';

/** Who owns an argument list. */
export type ArgOwner = 'plugin' | 'function' | 'artifact';

/** `FROM Artifact.<name>(...)` calls an artifact (VELOCIRAPTOR.md 1.12). */
export const ARTIFACT_PREFIX = 'Artifact.';

/** Arguments every artifact call takes besides its parameters (see artifacts/plugin.ts). */
export const ARTIFACT_ARGS: readonly string[] = ['source', 'preconditions'];

/** Names Velociraptor has that this engine (or its repository) may lack. */
export interface ForeignNames {
  readonly plugins: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
  readonly artifacts?: ReadonlySet<string>;
}

/** What a message may draw on. */
export interface MessageContext {
  readonly registry: Registry;
  readonly foreign?: ForeignNames;
  readonly arg?: string;
  readonly candidates?: Iterable<string>;
  readonly kind?: ArgOwner;
  readonly spec?: ArgSpec;
}

/** `: did you mean a or b?`, or '' when nothing is close. */
function didYouMean(name: string, candidates: Iterable<string> = []): string {
  const all = suggest(name, new Set(candidates));
  if (!all.length) return '';
  // Only the closest (long artifact names leave room for far-off ones the user did not mean).
  const best = editDistance(name, all[0]!);
  return `: did you mean ${all.filter((c) => editDistance(name, c) <= best + 1).join(' or ')}?`;
}

/**
 * The message of a finding.
 * @example callMessage('unknown-plugin', 'pslit', { registry, candidates: registry.plugins.keys() })
 *   // 'unknown plugin pslit: did you mean pslist?'
 */
export function callMessage(code: CheckCode, callee: string, c: MessageContext): string {
  switch (code) {
    case 'unknown-plugin': {
      if (c.foreign?.plugins.has(callee)) return `unknown plugin ${callee}: Velociraptor has it, this workbench does not (here it gives no rows)`;
      // A function used as a plugin: say so, without suggesting other plugins.
      if (c.registry.functions.has(callee)) return `unknown plugin ${callee}; ${callee} is a function: call it in a column, like SELECT ${callee}(...) FROM scope()`;
      return `unknown plugin ${callee}${didYouMean(callee, c.candidates)}`;
    }
    case 'unknown-function': {
      if (c.foreign?.functions.has(callee)) return `unknown function ${callee}: Velociraptor has it, this workbench does not (here it gives null)`;
      if (c.registry.plugins.has(callee)) return `unknown function ${callee}; ${callee} is a plugin: use it after FROM`;
      return `unknown function ${callee}${didYouMean(callee, c.candidates)}`;
    }
    case 'unknown-artifact': {
      const name = callee.slice(ARTIFACT_PREFIX.length);
      if (c.foreign?.artifacts?.has(name)) return `unknown artifact ${name}: Velociraptor has it, this repository does not (add it with --definitions or import it)`;
      return `unknown artifact ${name}${didYouMean(name, c.candidates)}`;
    }
    case 'unknown-argument': {
      const known = [...(c.candidates ?? [])];
      const noun = c.kind === 'artifact' ? 'parameters' : 'arguments';
      const hint = didYouMean(c.arg!, known) || (known.length ? `: its ${noun} are ${known.join(', ')}` : `: it takes no ${noun}`);
      return c.kind === 'artifact'
        ? `unknown parameter ${c.arg} for artifact ${callee.slice(ARTIFACT_PREFIX.length)}${hint}`
        : `unknown argument ${c.arg} for ${c.kind} ${callee}()${hint}`;
    }
    case 'missing-argument': {
      const about = c.spec ? ` (${c.spec.type}: ${c.spec.doc})` : '';
      return `${c.kind} ${callee}() needs the argument ${c.arg}${about}`;
    }
    case 'unknown-accessor': {
      const known = [...(c.candidates ?? [])];
      return `unknown accessor ${c.arg} for ${c.kind} ${callee}()${didYouMean(c.arg!, known) || (known.length ? `: this workbench has ${known.join(', ')}` : '')}`;
    }
  }
}
