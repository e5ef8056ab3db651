#!/usr/bin/env node
// The `vql` command: runs the ahead-of-time bundle (npm run build writes dist/cli.js).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
