/**
 * Options of the host plugins: what the user allowed.
 */
export interface HostOptions {
  /**
   * Allow plugins that execute programs (`execve`). Off by default: artifacts can run
   * commands, so the user must opt in (`--allow-execve`, or the app's setting).
   */
  readonly allowExecve?: boolean;
}
