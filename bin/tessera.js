#!/usr/bin/env node
// The `tessera` command. TypeScript sources run through tsx, the same way `npm start` runs the server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main();
