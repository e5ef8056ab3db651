/**
 * Options of the host plugins: what the user allowed, and where a run's files go.
 */
import type { RunFiles } from './collect/run-files.ts';

export interface HostOptions {
  /**
   * Allow plugins that execute programs (`execve`). Off by default: artifacts can run
   * commands, so the user must opt in (`--allow-execve`, or the app's setting). The same
   * opt-in lets functions change files (`rm()`, `copy()` outside the query's temp folder):
   * a program could change them too.
   */
  readonly allowExecve?: boolean;
  /**
   * Where this run's uploads and temp files go (main/host/collect/run-files.ts). Absent: a
   * temp folder of its own, removed when the process exits, and no uploads.
   */
  readonly files?: RunFiles;
  /**
   * Where http_client() may connect: everywhere (default), or only to this machine
   * ('loopback': 127.0.0.0/8, ::1, localhost and Unix sockets), for test runs of artifacts
   * that would otherwise reach the internet.
   */
  readonly network?: 'all' | 'loopback';
  /**
   * The folder of a Velociraptor server's file store (a datastore directory or a copy) that the
   * `fs` and `fs_sparse` accessors read. Absent: $VQL_FILESTORE, else this app's datastore.
   */
  readonly filestore?: string;
}
