/** The orchestrator's own version (reported by hello, /api/status and server.json). */
export const SERVER_VERSION = '0.1.0';
