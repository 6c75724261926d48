// The user-space engine's TCP scenarios again through the Node relay (tcp.ts), the fallback where
// the native relay cannot load; VIGIL_TCP_RELAY=node chooses it explicitly.
process.env.VIGIL_TCP_RELAY = 'node';
await import('./proxy.test.js');
