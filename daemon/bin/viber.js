#!/usr/bin/env node
// The `viber` command: a shim so `npx viber …` runs the TypeScript CLI (Node 24 strips types natively).
import { main } from '../src/cli.ts';

process.exitCode = await main(process.argv.slice(2));
