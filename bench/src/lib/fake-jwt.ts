/** An unsigned JWT (the library reads `exp`; nothing verifies it here). `subject` tells two tokens apart. */
export const fakeJwt = (expiresInSeconds: number, subject = 'bench'): string => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: subject, iat: now, exp: now + expiresInSeconds })}.`;
};
