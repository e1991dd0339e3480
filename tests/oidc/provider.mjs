// A real OpenID Connect provider for Ferry's SSO tests and demo: oidc-provider (the certified
// Node implementation) on 127.0.0.1, with one or more confidential clients, test users with
// passwords and claims, its own login and consent pages, PKCE required, and loopback-only admin
// endpoints to rotate the signing key and to make the token endpoint hand out bad ID tokens.
//
//   node provider.mjs [--port N|0] [--config FILE.json] [--client-id ID --client-secret S --redirect-uri URL]
//                     [--exit-on-stdin-close]
//
// Prints one line `ready issuer=http://127.0.0.1:PORT` on stdout once it accepts connections.
//
// Config file (every field optional):
//   { "clients": [{ "client_id", "client_secret", "redirect_uris": [..] }],
//     "users": [{ "username", "password", "sub"?, "claims": { "email", "groups": [..], "db_users": [..], ... },
//                 "acr"?, "amr"?: [..] }],
//     "id_token_ttl_seconds"?: 300 }
//
// Admin endpoints (loopback callers only):
//   POST /__rotate              sign with a NEW key (new kid) from now on; JWKS publishes new then old keys
//   POST /__id_token?mode=M     M = normal | tamper (flip a signature byte) | wrong_audience | expired |
//                               wrong_nonce | wrong_issuer | stale_auth_time (auth_time an hour ago): rewrites the id_token of every token response
//                               (re-signed with the provider's current key, except tamper) until set back to normal
//   POST /__clients             JSON client or array of clients: added, or replacing the one with the same client_id
//   GET  /__state               {"kids":[..],"mode":..,"logins":N}

import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

function parseArgs(argv) {
  const args = { port: 0, config: null, clients: [], exitOnStdinClose: false };
  let client = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--port': args.port = Number(value()); break;
      case '--config': args.config = value(); break;
      case '--client-id': client = { client_id: value(), client_secret: '', redirect_uris: [] }; args.clients.push(client); break;
      case '--client-secret': if (!client) fail('--client-secret comes after --client-id'); client.client_secret = value(); break;
      case '--redirect-uri': if (!client) fail('--redirect-uri comes after --client-id'); client.redirect_uris.push(value()); break;
      case '--exit-on-stdin-close': args.exitOnStdinClose = true; break;
      default: fail(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) fail('--port must be 0..65535');
  return args;
}

function fail(message) {
  process.stderr.write(`provider: ${message}\n`);
  process.exit(2);
}

const DEFAULT_USERS = [
  { username: 'alice', password: 'alice-pass', claims: { email: 'alice@example.com', groups: ['dba', 'staff'], db_users: ['alice_db'] } },
  { username: 'bob', password: 'bob-pass', claims: { email: 'bob@example.com', groups: ['staff'], db_users: ['bob_db'] } },
  { username: 'mallory', password: 'mallory-pass', claims: { email: 'mallory@example.com', groups: ['contractors'], db_users: [] } },
  { username: 'carol', password: 'carol-pass', acr: 'urn:ferry:mfa', amr: ['pwd', 'otp'], claims: { email: 'carol@example.com', groups: ['dba'], db_users: ['carol_db'] } },
];

const args = parseArgs(process.argv.slice(2));
const fileConfig = args.config ? JSON.parse(fs.readFileSync(args.config, 'utf8')) : {};
const toClient = (c) => ({
  client_id: c.client_id,
  client_secret: c.client_secret,
  redirect_uris: c.redirect_uris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
});
const clientProblem = (c) => (!c.client_id || !c.client_secret || !Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0
  ? `client ${c.client_id ?? '?'} needs client_id, client_secret and at least one redirect_uri` : null);
let clients = [...(fileConfig.clients ?? []), ...args.clients].map(toClient);
for (const c of clients) {
  const problem = clientProblem(c);
  if (problem) fail(problem);
}
const users = (fileConfig.users ?? DEFAULT_USERS).map((u) => ({ sub: u.sub ?? u.username, ...u }));
const usersBySub = new Map(users.map((u) => [u.sub, u]));
const usersByName = new Map(users.map((u) => [u.username, u]));
const idTokenTtl = fileConfig.id_token_ttl_seconds ?? 300;

// Keys: newest first. oidc-provider signs with the first key of the algorithm; JWKS publishes them all.
const keys = [];
async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `k${keys.length + 1}-${crypto.randomBytes(4).toString('hex')}`;
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

const cookieKeys = [crypto.randomBytes(32).toString('hex')];
let idTokenMode = 'normal';
let logins = 0;
let provider = null;
let handle = null;
let issuer = null;

function makeProvider() {
  const p = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: cookieKeys },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    // Every claim of the granted scopes goes into the ID token (Ferry reads the ID token only).
    conformIdTokenClaims: false,
    acrValues: ['urn:ferry:pwd', 'urn:ferry:mfa'],
    claims: {
      acr: null, amr: null, auth_time: null, sid: null, iss: null,
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups', 'db_users'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    ttl: { IdToken: idTokenTtl, AccessToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const user = usersBySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: user.username,
          preferred_username: user.username,
          email_verified: true,
          ...user.claims,
        }),
      };
    },
  });
  p.proxy = false;
  p.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 200 && ctx.body?.id_token && idTokenMode !== 'normal') {
      ctx.body = { ...ctx.body, id_token: await spoil(ctx.body.id_token, idTokenMode) };
      process.stderr.write(`provider: token response carries a ${idTokenMode} id_token\n`);
    }
  });
  p.on('server_error', (_ctx, err) => process.stderr.write(`provider: server_error ${err?.stack ?? err}\n`));
  return p;
}

async function spoil(idToken, mode) {
  if (mode === 'tamper') {
    const [h, b, s] = idToken.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[sig.length >> 1] ^= 0x01;
    return `${h}.${b}.${sig.toString('base64url')}`;
  }
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'wrong_audience': payload.aud = 'some-other-client'; if (payload.azp) payload.azp = 'some-other-client'; break;
    case 'expired': payload.iat = now - 7200; payload.exp = now - 3600; if (payload.auth_time) payload.auth_time = now - 7200; break;
    case 'wrong_nonce': payload.nonce = crypto.randomBytes(16).toString('base64url'); break;
    case 'wrong_issuer': payload.iss = 'http://127.0.0.1:1/not-the-issuer'; break;
    case 'stale_auth_time': payload.auth_time = now - 3600; break; // a provider that ignored prompt=login / max_age=0
    default: throw new Error(`unknown id_token mode ${mode}`);
  }
  const key = await jose.importJWK(keys[0], 'RS256');
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys[0].kid }).sign(key);
}

const MODES = new Set(['normal', 'tamper', 'wrong_audience', 'expired', 'wrong_nonce', 'wrong_issuer', 'stale_auth_time']);

function isLoopback(req) {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:26em;margin:4em auto}label,input,button{display:block;margin:.5em 0}input{width:100%}</style>
</head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

async function readBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return chunks;
}

async function readForm(req) {
  return new URLSearchParams(Buffer.concat(await readBody(req)).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  const { prompt, params } = details;
  const client = await provider.Client.find(params.client_id);
  if (action === null && prompt.name === 'login') {
    return send(res, 200, 'text/html; charset=utf-8', page('Sign in to the Test IdP', `
<p>Application <b>${esc(client?.clientId ?? params.client_id)}</b> asks you to sign in.</p>
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="login">User name</label><input id="login" name="login" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button id="submit" type="submit">Sign in</button></form>`));
  }
  if (action === null && prompt.name === 'consent') {
    return send(res, 200, 'text/html; charset=utf-8', page('Authorize', `
<p><b>${esc(params.client_id)}</b> wants: ${esc(String(params.scope ?? ''))}</p>
<form method="post" action="/interaction/${esc(uid)}/confirm"><button id="allow" type="submit">Allow</button></form>
<form method="post" action="/interaction/${esc(uid)}/abort"><button id="deny" type="submit">Deny</button></form>`));
  }
  if (action === 'login' && prompt.name === 'login') {
    const form = await readForm(req);
    const user = usersByName.get(form.get('login') ?? '');
    if (!user || !crypto.timingSafeEqual(
      crypto.createHash('sha256').update(form.get('password') ?? '').digest(),
      crypto.createHash('sha256').update(user.password).digest())) {
      return send(res, 200, 'text/html; charset=utf-8', page('Sign in to the Test IdP', `
<p id="error" style="color:#b00">Wrong user name or password.</p>
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="login">User name</label><input id="login" name="login" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button id="submit" type="submit">Sign in</button></form>`));
    }
    logins++;
    const login = { accountId: user.sub, acr: user.acr ?? 'urn:ferry:pwd', amr: user.amr ?? ['pwd'] };
    if (user.acr) login.acr = user.acr;
    if (user.amr) login.amr = user.amr;
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm' && prompt.name === 'consent') {
    await readForm(req);
    const { details: missing } = prompt;
    let grant = details.grantId ? await provider.Grant.find(details.grantId) : null;
    if (!grant) grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  if (action === 'abort') {
    await readForm(req);
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied the request' }, { mergeWithLastSubmission: false });
  }
  return send(res, 400, 'text/plain', `unexpected ${action ?? 'page'} for prompt ${prompt.name}`);
}

async function admin(req, res, url) {
  if (!isLoopback(req)) return send(res, 403, 'text/plain', 'loopback only');
  if (url.pathname === '/__rotate' && req.method === 'POST') {
    keys.unshift(await newKey());
    provider = makeProvider();
    handle = provider.callback();
    process.stderr.write(`provider: rotated: signing with ${keys[0].kid}\n`);
    return send(res, 200, 'application/json', JSON.stringify({ kid: keys[0].kid, kids: keys.map((k) => k.kid) }));
  }
  if (url.pathname === '/__id_token' && req.method === 'POST') {
    const mode = url.searchParams.get('mode') ?? '';
    if (!MODES.has(mode)) return send(res, 400, 'text/plain', `mode must be one of ${[...MODES].join(', ')}`);
    idTokenMode = mode;
    return send(res, 200, 'application/json', JSON.stringify({ mode }));
  }
  if (url.pathname === '/__clients' && req.method === 'POST') {
    // Adds or replaces clients (the relying party's redirect URI may only be known once it runs).
    let body;
    try {
      body = JSON.parse(Buffer.concat(await readBody(req)).toString('utf8'));
    } catch (err) {
      return send(res, 400, 'text/plain', `not JSON: ${err.message}`);
    }
    const added = (Array.isArray(body) ? body : [body]).map(toClient);
    const problem = added.map(clientProblem).find((p) => p);
    if (problem) return send(res, 400, 'text/plain', problem);
    clients = [...clients.filter((c) => !added.some((a) => a.client_id === c.client_id)), ...added];
    provider = makeProvider();
    handle = provider.callback();
    return send(res, 200, 'application/json', JSON.stringify({ clients: clients.map((c) => c.client_id) }));
  }
  if (url.pathname === '/__state' && req.method === 'GET') {
    return send(res, 200, 'application/json', JSON.stringify({ issuer, kids: keys.map((k) => k.kid), mode: idTokenMode, logins }));
  }
  return send(res, 404, 'text/plain', 'no such admin endpoint');
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/__')) return await admin(req, res, url);
    const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/.exec(url.pathname);
    if (m) {
      if ((m[2] === undefined) !== (req.method === 'GET')) return send(res, 405, 'text/plain', 'method not allowed');
      return await interaction(req, res, m[1], m[2] ?? null);
    }
    return handle(req, res);
  } catch (err) {
    process.stderr.write(`provider: ${err?.stack ?? err}\n`);
    if (!res.headersSent) send(res, 400, 'text/plain', String(err?.message ?? err));
    else res.end();
  }
});

keys.push(await newKey());
server.listen(args.port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = makeProvider();
  handle = provider.callback();
  process.stdout.write(`ready issuer=${issuer}\n`);
});
server.on('error', (err) => fail(`cannot listen: ${err.message}`));

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (args.exitOnStdinClose) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
