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

const configuration = {
  clients: [{
    client_id: env.CLIENT_ID ?? 'naftiko-test',
    client_secret: env.CLIENT_SECRET ?? 'naftiko-test-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'read write',
  }],
  jwks: { keys: [jwk] },
  scopes: ['read', 'write'],
  routes: {
    token: '/oauth2/token',
    introspection: '/oauth2/introspect',
    jwks: '/jwks',
  },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false }, // no login UI: machine-to-machine only
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf ?? env.DEFAULT_RESOURCE,
      // Any resource indicator is accepted and gets a JWT access token.
      getResourceServerInfo: async (_ctx, resource) => ({
        audience: resource,
        scope: 'read write',
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
};

// Plain HTTP on loopback (no TLS, no proxy). Bind first so that PORT=0 is
// resolved before the Provider is built: the issuer must carry the real port.
const server = createServer();
server.listen(port, host, () => {
  const issuer = `http://${host}:${server.address().port}`;
  server.on('request', new Provider(issuer, configuration).callback());
  process.stdout.write(`listening ${issuer}\n`);
});
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
