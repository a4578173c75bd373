// @peculiar/x509 2.x resolves its ASN.1 converters through tsyringe, which needs the metadata polyfill.
import "reflect-metadata";
