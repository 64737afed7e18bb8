// A local OpenID provider for the demo company's SSO and the end-to-end tests: panva's oidc-provider
// (OpenID Certified), configured from a JSON file, listening on loopback only.
//
//   node provider.mjs config.json
//
// config.json:
//   port             TCP port on 127.0.0.1
//   clients          oidc-provider client metadata (client_id, client_secret, redirect_uris, ...)
//   accounts         login -> claims (email, name, groups, ...); the login is the subject;
//                    email_verified is true unless the account says otherwise, or sends none
//                    with "sends_email_verified": false
//   default_domain   a login not in `accounts` signs in as <login>@<default_domain>, if set
//   id_token_ttl     seconds an id_token is valid (default 600)
//   key_file         where the signing key (private JWK) is written, or read if it exists
//   discovery        extra members of the discovery document (the tests' oversized one)
//   id_token_algs    the id_token signing algorithms it offers (default: oidc-provider's own)
//
// The login form is oidc-provider's development interaction: any password is accepted. That is the
// point of a local provider; a client company's real provider checks passwords and MFA itself.
import { generateKeyPairSync, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;

function signingKey() {
  if (config.key_file && existsSync(config.key_file)) {
    return JSON.parse(readFileSync(config.key_file, 'utf8'));
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const thumbprint = createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
  const key = { ...jwk, kid: thumbprint, alg: 'RS256', use: 'sig' };
  if (config.key_file) {
    writeFileSync(config.key_file, JSON.stringify(key), { mode: 0o600 });
  }
  return key;
}

const accounts = config.accounts ?? {};

function claimsOf(login) {
  if (accounts[login]) {
    return accounts[login];
  }
  if (config.default_domain) {
    const email = login.includes('@') ? login : `${login}@${config.default_domain}`;
    return { email, email_verified: true, name: email.split('@')[0] };
  }
  return null;
}

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey()] },
  // Authorization code with PKCE (S256) for every client, as the relying party always sends it.
  pkce: { required: () => true },
  // Put email, name and groups into the id_token itself, where the relying party reads them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    // xms_edov: Entra ID's optional claim that the address's domain is verified by its tenant.
    email: ['email', 'email_verified', 'xms_edov'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  ...(config.discovery ? { discovery: config.discovery } : {}),
  ...(config.id_token_algs ? { enabledJWA: { idTokenSigningAlgValues: config.id_token_algs } } : {}),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  ttl: {
    IdToken: Number(config.id_token_ttl ?? 600),
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(_ctx, sub) {
    const claims = claimsOf(sub);
    if (!claims) {
      return undefined;
    }
    // `"sends_email_verified": false` plays a provider that sends no email_verified claim (as Entra ID).
    const { sends_email_verified: sendsEmailVerified = true, ...shared } = claims;
    const asserted = sendsEmailVerified ? { email_verified: true } : {};
    return { accountId: sub, claims: async () => ({ sub, ...asserted, ...shared }) };
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
// Whoever started us holds our stdin open; when it goes away (even killed), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
