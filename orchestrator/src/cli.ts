#!/usr/bin/env node
// Placeholder until the orchestrator service lands: prints the version.
import { PROTOCOL_VERSION } from '@pushpals/protocol';
console.log(`pushpals orchestrator 0.1.0 (protocol ${PROTOCOL_VERSION})`);
