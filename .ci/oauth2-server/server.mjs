// Loopback OAuth 2.0 authorization server for naftiko end-to-end tests.
//
// A real, spec-compliant server (panva's `oidc-provider`) that CI starts on
// 127.0.0.1 so tests can exercise a genuine client-credentials token exchange
// instead of a hand-written mock. Usage from a test harness:
//
//   (cd .ci/oauth2-server && ./install.sh)          # once: npm ci
//   PORT=0 node .ci/oauth2-server/server.mjs        # spawn as a child process
//
// stdout carries exactly one line, `listening http://127.0.0.1:<port>`, once the
// server accepts connections; everything else (library notices/warnings) goes to
// stderr. The issuer is that URL. Stop it with SIGTERM/SIGINT (exits 0).
//
// Environment (all optional):
//   PORT              listen port; 0 (default) picks a free one
//   CLIENT_ID         default `naftiko-test`
//   CLIENT_SECRET     default `naftiko-test-secret`
//   DEFAULT_RESOURCE  audience used when a token request has no `resource`
//                     parameter; unset (default) => opaque access tokens
//   EXIT_WITH_STDIN   when set, the server exits once its stdin closes (a test
//                     binary that starts one server for all its tests keeps the
//                     pipe open until it exits, so the server never outlives it)
//
// Endpoints: POST /oauth2/token, POST /oauth2/introspect, GET /jwks,
// GET /.well-known/openid-configuration. Client auth: client_secret_post
// (client_secret_basic is accepted too). Access tokens live 3600 s.
//
// Token format: without a resource indicator the access token is opaque and
// can be introspected. With `resource=<absolute URI>` in the token request (or
// DEFAULT_RESOURCE set) it is an RS256 JWT (`typ: at+jwt`, aud = the resource)
// signed with the key published at /jwks; JWTs are self-contained and not
// stored, so /oauth2/introspect rejects them (400 unsupported_token_type).
// The resource's last path segment picks a variant, for resource-server tests:
//   .../es256   an ES256 JWT (P-256 key, also published at /jwks)
//   .../short   a JWT that expires after 1 s
//   .../opaque  an opaque token bound to the resource (introspection shows its aud)
//
// Test hook: POST /test/rotate-keys rotates the RSA signing key. The new key
// signs every later RS256 token and is published first at /jwks; the old one
// stays published (an overlapping rotation). The answer is the new key id.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

// oidc-provider prints its NOTICEs with console.info (stdout): route them to
// stderr so stdout stays a one-line readiness protocol.
console.info = console.error;
console.log = console.error;

const env = process.env;
const port = Number(env.PORT ?? 0);
const host = '127.0.0.1';

// Fresh RSA signing key per run (avoids the library's shared dev keys).
const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
jwk.kid = 'naftiko-test-rs256';
jwk.alg = 'RS256';
jwk.use = 'sig';

// An EC key for the ES256 variant.
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
ec.kid = 'naftiko-test-es256';
ec.alg = 'ES256';
ec.use = 'sig';
let keys = [jwk, ec];
let rotations = 0;

/// The resource server a resource indicator names: its variant (see the header).
function resourceServerInfo(resource) {
  const last = new URL(resource).pathname.split('/').pop();
  const info = {
    audience: resource,
    scope: 'read write',
    accessTokenTTL: last === 'short' ? 1 : 3600,
    accessTokenFormat: last === 'opaque' ? 'opaque' : 'jwt',
  };
  if (info.accessTokenFormat === 'jwt') {
    info.jwt = { sign: { alg: last === 'es256' ? 'ES256' : 'RS256' } };
  }
  return info;
}

// One store for every Provider instance, so that tokens issued before a key
// rotation (which builds a new Provider) stay known to introspection after it.
const store = new Map();
const grants = new Map();
class SharedMemoryAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      grants.set(payload.grantId, [...(grants.get(payload.grantId) ?? []), this.key(id)]);
    }
  }
  async find(id) { return store.get(this.key(id)); }
  async findByUid(uid) { return [...store.values()].find((p) => p.uid === uid); }
  async findByUserCode(code) { return [...store.values()].find((p) => p.userCode === code); }
  async consume(id) {
    const p = store.get(this.key(id));
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const k of grants.get(grantId) ?? []) store.delete(k);
    grants.delete(grantId);
  }
}

const configuration = {
  adapter: SharedMemoryAdapter,
  clients: [{
    client_id: env.CLIENT_ID ?? 'naftiko-test',
    client_secret: env.CLIENT_SECRET ?? 'naftiko-test-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'read write',
  }],
  jwks: { keys },
  scopes: ['read', 'write'],
  routes: {
    token: '/oauth2/token',
    introspection: '/oauth2/introspect',
    jwks: '/jwks',
  },
  // A resource server's own lifetime wins (the `short` variant).
  ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 3600 },
  features: {
    devInteractions: { enabled: false }, // no login UI: machine-to-machine only
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? env.DEFAULT_RESOURCE,
      // Any resource indicator is accepted (see resourceServerInfo).
      getResourceServerInfo: async (_ctx, resource) => resourceServerInfo(resource),
    },
  },
};

// Plain HTTP on loopback (no TLS, no proxy). Bind first so that PORT=0 is
// resolved before the Provider is built: the issuer must carry the real port.
const server = createServer();
let handle = null;
server.listen(port, host, () => {
  const issuer = `http://${host}:${server.address().port}`;
  handle = new Provider(issuer, configuration).callback();
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url === '/test/rotate-keys') {
      rotations += 1;
      const next = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      next.kid = `naftiko-test-rs256-${rotations}`;
      next.alg = 'RS256';
      next.use = 'sig';
      keys = [next, ...keys];
      handle = new Provider(issuer, { ...configuration, jwks: { keys } }).callback();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(next.kid);
      return;
    }
    handle(req, res);
  });
  process.stdout.write(`listening ${issuer}\n`);
});
if (env.EXIT_WITH_STDIN) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
server.on('error', (err) => {
  console.error(err);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
