/**
 * A bucket policy denying every request that does not use TLS (`aws:SecureTransport` false),
 * for the bucket and its objects. Shared by the cache bucket and its access-log bucket.
 */
export function tlsOnlyPolicy(bucketArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}
