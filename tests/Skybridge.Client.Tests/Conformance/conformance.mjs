// A standard OAuth 2.0 client, oauth4webapi, against a Skybridge node: discovery (RFC 8414), client_credentials with
// private_key_jwt (RFC 7523) and DPoP (RFC 9449) with its nonce retry, a DPoP-protected API call, token exchange
// (RFC 8693) for a sub-agent, and revocation (RFC 7009). jose (a standard JOSE library) reads the credentials file's
// JWK and checks what came back: every access token verifies against the published JWKS as an RFC 9068 token for the
// agent API, and is bound (cnf.jkt, RFC 7638) to the DPoP key that asked for it. Prints one JSON object with what it saw.
// Usage: node conformance.mjs ISSUER PARENT_CREDENTIALS_FILE CHILD_CREDENTIALS_FILE
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { readFileSync } from 'node:fs';

const [issuerUrl, parentFile, childFile] = process.argv.slice(2);
const issuer = new URL(issuerUrl);
const insecure = { [oauth.allowInsecureRequests]: true }; // the test node listens on plain http on loopback

const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));

const jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri));

async function agent(file) {
  const credentials = JSON.parse(readFileSync(file, 'utf8'));
  const { kty, crv, x, y, d } = credentials.key;
  const key = await jose.importJWK({ kty, crv, x, y, d }, 'ES256');
  const client = { client_id: credentials.client_id };
  const dpopKeys = await oauth.generateKeyPair('ES256');
  return {
    client,
    kidIsThumbprint: credentials.key.kid === await jose.calculateJwkThumbprint({ kty, crv, x, y }),
    dpopThumbprint: await jose.calculateJwkThumbprint(await jose.exportJWK(dpopKeys.publicKey)),
    auth: oauth.PrivateKeyJwt({ key, kid: credentials.key.kid }),
    dpop: oauth.DPoP(client, dpopKeys),
  };
}

// What a resource server of its own would check: signature by a published key, issuer, audience, RFC 9068 type.
async function verified(a, token) {
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer: as.issuer, audience: `${as.issuer}/api`, typ: 'at+jwt', algorithms: ['ES256'],
  });
  return {
    typ: protectedHeader.typ, sub: payload.sub, client_id: payload.client_id, scope: payload.scope,
    act: payload.act ?? null, boundToDPoPKey: payload.cnf?.jkt === a.dpopThumbprint,
  };
}

// The library's documented pattern: when the server asks for a nonce, the DPoP handle has learned it; retry once.
async function onceMoreForNonce(attempt) {
  try {
    return await attempt();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return await attempt();
    throw err;
  }
}

const clientCredentials = (a, scope) => onceMoreForNonce(async () => {
  const response = await oauth.clientCredentialsGrantRequest(as, a.client, a.auth, new URLSearchParams(scope ? { scope } : {}), { DPoP: a.dpop, ...insecure });
  return oauth.processClientCredentialsResponse(as, a.client, response);
});

const exchange = (a, subjectToken, scope) => onceMoreForNonce(async () => {
  const response = await oauth.genericTokenEndpointRequest(as, a.client, a.auth, 'urn:ietf:params:oauth:grant-type:token-exchange',
    new URLSearchParams({ subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope }), { DPoP: a.dpop, ...insecure });
  return oauth.processGenericTokenEndpointResponse(as, a.client, response);
});

async function whoami(a, token) {
  try {
    return await onceMoreForNonce(async () => {
      const response = await oauth.protectedResourceRequest(token, 'GET', new URL('/api/agent/whoami', issuer), new Headers(), null, { DPoP: a.dpop, ...insecure });
      return { status: response.status, body: await response.json() };
    });
  } catch (err) {
    // A refusal comes back as a WWW-Authenticate challenge the library parses.
    return { status: err.response?.status ?? 0, error: err.cause?.[0]?.parameters?.error ?? String(err) };
  }
}

const parent = await agent(parentFile);
const child = await agent(childFile);
const parentToken = await clientCredentials(parent);
const parentClaims = await verified(parent, parentToken.access_token);
const parentCall = await whoami(parent, parentToken.access_token);
const childToken = await exchange(child, parentToken.access_token, 'cases:read');
const childClaims = await verified(child, childToken.access_token);
const childCall = await whoami(child, childToken.access_token);
const stolen = await whoami(parent, childToken.access_token);

const revocation = await oauth.revocationRequest(as, parent.client, parent.auth, parentToken.access_token, insecure);
await oauth.processRevocationResponse(revocation);
const afterRevocation = await whoami(parent, parentToken.access_token);

console.log(JSON.stringify({
  metadata: { issuer: as.issuer, token_endpoint: as.token_endpoint },
  parent: { kidIsThumbprint: parent.kidIsThumbprint, token_type: parentToken.token_type, scope: parentToken.scope, expires_in: parentToken.expires_in, claims: parentClaims, call: parentCall },
  child: { kidIsThumbprint: child.kidIsThumbprint, token_type: childToken.token_type, scope: childToken.scope, issued_token_type: childToken.issued_token_type, claims: childClaims, call: childCall },
  stolen,
  afterRevocation,
}));
