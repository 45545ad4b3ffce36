"""Test certificates for naftiko's TLS listeners and upstreams (tests/it/run_tls.rs,
tests/it/run_upstream_tls.rs), made with trustme: a certificate authority and a server
certificate it signs for 127.0.0.1 and localhost, or for the names given.

Usage: tls_certs.py OUTDIR [NAME [IDENTITY...]]
Writes OUTDIR/NAME-ca.pem (the authority), OUTDIR/NAME-cert.pem (the server certificate
chain) and OUTDIR/NAME-key.pem (its private key); NAME defaults to `server`, the
identities (host names or IP addresses) to 127.0.0.1 and localhost.
"""

import sys

import trustme


def main(argv):
    out = argv[1]
    name = argv[2] if len(argv) > 2 else "server"
    identities = argv[3:] or ["127.0.0.1", "localhost"]
    ca = trustme.CA()
    cert = ca.issue_cert(*identities)
    ca.cert_pem.write_to_path(f"{out}/{name}-ca.pem")
    cert.private_key_pem.write_to_path(f"{out}/{name}-key.pem")
    with open(f"{out}/{name}-cert.pem", "wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
