/**
 * `yara_lint(rules=, clean=, verbose=)` (Velociraptor's vql/tools/yara_lint.go): gives back a
 * YARA rule set with what our engine (libyara in WebAssembly, engine.ts) cannot use taken out,
 * so that a large public rule set loads in yara():
 *
 * - an `import` of a module the engine does not have is dropped (found out by compiling
 *   `import "x"` with the engine, once per module name and process), and so is every rule that
 *   uses such a module (`hash.sha256(...)`);
 * - a rule that does not compile, that has the name of an earlier rule, or that references a
 *   removed rule (directly or by a wildcard such as `any of (Foo*)`) is dropped;
 * - `include` lines are dropped with a warning (there is no file to include from a string).
 *
 * `clean=TRUE` also removes each rule's `meta:` section and comments. `verbose=TRUE` logs each
 * removed import and rule with the reason. A rule set that cannot be split into rules at all
 * (an unterminated string, comment or rule) is logged with its line:column and gives NULL.
 *
 * Differences: Velociraptor parses with gyp and prints gyp's rendering of the rules; here the
 * kept rules are given back as written (rule-text.ts), so the output is the input minus what
 * was removed. Compile checks: the kept rules are compiled together and the engine's error
 * lines say which rules fail (a compile costs ~30 ms and ~10 MB of WebAssembly heap, so one
 * compile per rule would be slow for thousands of rules); an error that points at no rule falls
 * back to compiling each rule with its imports and the rules it references.
 */
import type { FunctionCall, FunctionDef } from '../../vql/index.ts';
import { scan, type YaraMessage } from './engine.ts';
import { RuleTextError, ruleText, splitRules, type ImportItem, type Item, type RuleItem } from './rule-text.ts';

/** Module name -> whether the engine has it (the engine does not change in a process). */
const moduleCache = new Map<string, Promise<boolean>>();

/** Whether the YARA engine can import `module`: compiles `import "module"` once. */
export function moduleSupported(module: string): Promise<boolean> {
  let p = moduleCache.get(module);
  if (!p) {
    p = scan(new Uint8Array(0), `import ${JSON.stringify(module)}\n`).then((r) => r.errors.length === 0);
    p.catch(() => moduleCache.delete(module));
    moduleCache.set(module, p);
  }
  return p;
}

interface Candidate {
  rule: RuleItem;
  text: string;
  /** Kept rules this one references (names). */
  deps: Set<string>;
}

class Linter {
  readonly kept: Candidate[] = [];
  constructor(
    readonly call: FunctionCall,
    private readonly verbose: boolean,
  ) {}

  removed(what: string, line: number, reason: string): void {
    if (this.verbose) this.call.log('info', `removed ${what} (line ${line}): ${reason}`);
  }

  /** The kept rules whose names `rule`'s condition names (exactly or by a wildcard). */
  references(rule: RuleItem, names: Iterable<string>): string[] {
    const out: string[] = [];
    for (const n of names) if (n !== rule.name && (rule.conditionWords.has(n) || rule.wildcards.some((w) => n.startsWith(w)))) out.push(n);
    return out;
  }

  /** Drops the kept rules named in `gone` and, in turn, every kept rule that references them. */
  drop(gone: Map<string, string>): void {
    for (let i = 0; i < this.kept.length; i++) {
      const c = this.kept[i]!;
      let reason = gone.get(c.rule.name);
      if (reason === undefined) {
        const ref = [...c.deps].find((d) => gone.has(d));
        if (ref === undefined) continue;
        reason = `it references the removed rule "${ref}"`;
        gone.set(c.rule.name, reason);
      }
      this.removed(`rule "${c.rule.name}"`, c.rule.line, reason);
      this.kept.splice(i--, 1);
    }
  }
}

/** The rule set from `imports` and `rules`, and the first line of each rule in it. */
function assemble(imports: string[], rules: Candidate[]): { text: string; firstLines: number[] } {
  let text = imports.length ? imports.join('\n') + '\n' : '';
  const firstLines: number[] = [];
  let line = text.split('\n').length;
  for (const c of rules) {
    if (text) {
      text += '\n';
      line++;
    }
    firstLines.push(line);
    text += c.text + '\n';
    line += c.text.split('\n').length;
  }
  return { text, firstLines };
}

function describe(errors: YaraMessage[]): string {
  return errors.map((e) => e.message).join('; ');
}

/** Compiles each kept rule with the imports and the kept rules it references, in order. */
async function checkEach(linter: Linter, imports: string[]): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const byName = new Map(linter.kept.map((c) => [c.rule.name, c]));
  for (const c of linter.kept) {
    const need = new Set([c.rule.name]);
    const stack = [...c.deps];
    while (stack.length) {
      const d = stack.pop()!;
      if (need.has(d) || !byName.has(d)) continue;
      need.add(d);
      stack.push(...byName.get(d)!.deps);
    }
    const r = await scan(new Uint8Array(0), assemble(imports, linter.kept.filter((k) => need.has(k.rule.name))).text);
    if (r.errors.length) failed.set(c.rule.name, `it does not compile: ${describe(r.errors)}`);
  }
  return failed;
}

/**
 * Compiles the kept rules together until they compile: each error line names the rule it is
 * in (the last rule starting at or before it), which is dropped. Gives the final rule set.
 */
async function compileKept(linter: Linter, imports: string[]): Promise<string | null> {
  for (let fallbacks = 0; ; ) {
    const { text, firstLines } = assemble(imports, linter.kept);
    const r = await scan(new Uint8Array(0), text);
    if (!r.errors.length) return text;
    const gone = new Map<string, string>();
    for (const e of r.errors) {
      let i = firstLines.length - 1;
      while (i >= 0 && firstLines[i]! > e.line) i--;
      if (i < 0) continue;
      const name = linter.kept[i]!.rule.name;
      gone.set(name, gone.has(name) ? `${gone.get(name)}; ${e.message}` : `it does not compile: ${e.message}`);
    }
    if (gone.size === 0) {
      if (fallbacks++ > 0) {
        linter.call.log('error', `the cleaned rules do not compile: ${describe(r.errors)}`);
        return null;
      }
      for (const [k, v] of await checkEach(linter, imports)) gone.set(k, v);
      if (gone.size === 0) continue;
    }
    linter.drop(gone);
  }
}

async function run(call: FunctionCall): Promise<string | null> {
  const src = typeof call.args.rules === 'string' ? call.args.rules : '';
  const clean = call.args.clean === true;
  const linter = new Linter(call, call.args.verbose === true);
  let items: Item[];
  try {
    items = splitRules(src);
  } catch (e) {
    if (!(e instanceof RuleTextError)) throw e;
    call.log('error', `argument rules: ${e.message}`);
    return null;
  }
  try {
    // Imports: an unknown module goes, with the rules that use it.
    const importTexts: string[] = [];
    const seen = new Set<string>();
    const unsupported = new Set<string>();
    for (const it of items) {
      if (it.kind === 'include') {
        call.log('warn', `argument rules: line ${it.line}: include "${it.path}" removed: includes are not supported`);
      } else if (it.kind === 'import') {
        if (seen.has(it.module)) continue;
        seen.add(it.module);
        if (await moduleSupported(it.module)) importTexts.push(importText(src, it, clean));
        else {
          unsupported.add(it.module);
          linter.removed(`import "${it.module}"`, it.line, 'the YARA engine does not support this module');
        }
      }
    }
    const keptNames = new Set<string>();
    const gone = new Map<string, string>();
    for (const it of items) {
      if (it.kind !== 'rule') continue;
      const module = [...it.modulesUsed].find((m) => unsupported.has(m));
      const removedRef = linter.references(it, gone.keys())[0];
      let reason: string | undefined;
      if (keptNames.has(it.name)) reason = `a rule named "${it.name}" comes before it`;
      else if (module !== undefined) reason = `it uses the module "${module}", which the YARA engine does not support`;
      else if (removedRef !== undefined) reason = `it references the removed rule "${removedRef}"`;
      if (reason !== undefined) {
        if (!keptNames.has(it.name)) gone.set(it.name, reason);
        linter.removed(`rule "${it.name}"`, it.line, reason);
        continue;
      }
      keptNames.add(it.name);
      linter.kept.push({ rule: it, text: ruleText(src, it, clean), deps: new Set(linter.references(it, keptNames)) });
    }
    if (!linter.kept.length) return assemble(importTexts, []).text;
    return await compileKept(linter, importTexts);
  } catch (e) {
    call.log('error', (e as Error).message);
    return null;
  }
}

function importText(src: string, it: ImportItem, clean: boolean): string {
  return clean ? src.slice(it.start, it.end) : src.slice(it.textStart, it.end);
}

export const yaraLint: FunctionDef = {
  name: 'yara_lint',
  doc:
    'Gives back YARA rules without what the engine here cannot use: imports of unsupported modules, the rules that use them, ' +
    'rules that do not compile and rules that reference removed ones. clean= also removes meta sections and comments.',
  args: {
    rules: { type: 'string', doc: 'A string containing YARA rules', required: true },
    clean: { type: 'bool', doc: 'Remove each rule\'s metadata (and comments) to make the rules smaller' },
    verbose: { type: 'bool', doc: 'Log each removed rule or import with the reason' },
  },
  run,
};
