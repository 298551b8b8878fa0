"""certmail: certificate registration by e-mail (ADD_CERT). The rules arrive with their own issue;
for now the service starts, answers ping, and handles nothing."""
from nameko.rpc import rpc


class CertmailService:
    name = "certmail"

    @rpc
    def ping(self):
        return "ok"
