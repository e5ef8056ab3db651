/**
 * Artifacts: Velociraptor-compatible YAML packages of VQL. Load, validate, keep in a
 * repository, compile and run.
 */
export * from './schema.ts';
export { loadArtifactText, loadArtifactFile, formatProblem, sanitizeArtifactYaml, type LoadedArtifact, type ArtifactProblem, type LoadResult } from './loader.ts';
export { Repository, builtinArtifactsDir, artifactFiles, type RepositoryOptions, type RepositoryChange } from './repository.ts';
export { compileArtifact, exportsOf, ArtifactError, type CompiledRequest, type CompiledQuery } from './compile.ts';
export { runArtifact, ArtifactCallError, ArtifactFrame, MAX_ARTIFACT_DEPTH, type RunArtifactOptions } from './run.ts';
export { convertParameter, parameterEnv, cliArgValue, ParameterError } from './parameters.ts';
export { installArtifactPlugins } from './plugin.ts';
export { artifactNameProblem } from './validate.ts';
