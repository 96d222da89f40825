#!/bin/sh
# Makes a throw-away PKI for the keystore tests in DIR: a CA, a server
# certificate for 127.0.0.1/localhost, one for another name (to test host
# verification), and a client certificate. EC P-256 keys, valid two days.
# usage: gen-certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077
req() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
}
sign() {
	printf '%s\n' "$2" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -sha256 -extfile "$1.ext" \
	    -out "$1.pem" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=lockcron test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
req server 127.0.0.1
sign server "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
req wrong wrong.example.invalid
sign wrong "subjectAltName=DNS:wrong.example.invalid
extendedKeyUsage=serverAuth"
req client lockcron-client
sign client "extendedKeyUsage=clientAuth"
rm -f ./*.csr ./*.ext ./*.srl
chmod 0644 ./*.pem
