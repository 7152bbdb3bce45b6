#!/usr/bin/env node
// The `viber` command: a shim so `npx viber …` runs the TypeScript CLI (Node 24 strips types natively).
import { main } from '../src/cli.ts';

// Exit explicitly: a stopped daemon may leave idle handles (sockets closing) that need not be awaited.
process.exit(await main(process.argv.slice(2)));
