#!/usr/bin/env node
// The CLI is TypeScript; tsx loads it in place so `npx landing-etl` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
