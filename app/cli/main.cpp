// sealpost-cli: wiring only; the work happens in core/.
#include "AccountCommands.h"
#include "BatchCommand.h"
#include "CertCommands.h"
#include "Commands.h"
#include "DirectoryCommands.h"
#include "EnrollCommands.h"
#include "HarvestCommand.h"
#include "MailCommands.h"
#include "OutboxCommands.h"
#include "ProfileCommands.h"
#include "ReceiveCommands.h"
#include "StatusCommand.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace {

const char* const kUsage = R"(Usage: sealpost-cli [--profile DIR] [--passphrase-file F] COMMAND [options]
Commands:
  sign      sign a message (S/MIME, detached or opaque)
  encrypt   encrypt a message to recipient certificates (optionally signing it first)
  open      decrypt and verify a message and report its security status
  profile   create, re-key or check a profile (init, passwd, check)
  identity  your own keys and certificates in the profile (import, list, export)
  trust     the profile's trust anchors (add, list, remove)
  cert      your correspondents' certificates in the profile (import, list, show, remove)
  account   mail accounts: find servers, check logins, store (add, list, test, remove)
  harvest   learn correspondents' certificates from signed mail (.eml, mbox, Maildir)
  sync      fetch an account's mail into the profile's offline copy (IMAP)
  list      the messages (or --folders) of the offline copy
  show      one message from the offline copy (fetched if needed)
  send      write a message (signed, and encrypted when every recipient's key is known) and
            submit it through the outbox; --batch FILE.jsonl for bulk sending
  receive   sync the accounts, open and harvest new mail, publish what was learned
  read      one message opened, with its security status
  reply     answer a message (encrypted when the original was)
  outbox    the messages on their way out (list, flush, retry, confirm, remove)
  directory the public key directory of this profile (set-url, show, publish-harvested)
  lookup    look recipients' certificates up in the directory
  publish   publish certificates to the directory (a file, or the upload queue)
  enroll    get a certificate for a mail account from an ACME CA (email challenge)
  renew     renew enrolled certificates that are due (--force: all now)
  status    your identities and their enrollment: when each is renewed, the last failure
  version   print the version
Run "sealpost-cli COMMAND --help" for the options of a command.
)";

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto global = sealpost::cli::takeGlobalOptions(args);
    if (!global) {
        std::cerr << "sealpost-cli: " << global.error().detail << "\n";
        return sealpost::cli::kExitUsage;
    }
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << kUsage;
        return args.empty() ? sealpost::cli::kExitUsage : sealpost::cli::kExitOk;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    if (command == "sign") {
        return sealpost::cli::runSign(args, *global);
    }
    if (command == "encrypt") {
        return sealpost::cli::runEncrypt(args, *global);
    }
    if (command == "open") {
        return sealpost::cli::runOpen(args, *global);
    }
    if (command == "profile") {
        return sealpost::cli::runProfile(args, *global);
    }
    if (command == "identity") {
        return sealpost::cli::runIdentity(args, *global);
    }
    if (command == "trust") {
        return sealpost::cli::runTrust(args, *global);
    }
    if (command == "cert") {
        return sealpost::cli::runCert(args, *global);
    }
    if (command == "account") {
        return sealpost::cli::runAccount(args, *global);
    }
    if (command == "harvest") {
        return sealpost::cli::runHarvest(args, *global);
    }
    if (command == "sync") {
        return sealpost::cli::runSync(args, *global);
    }
    if (command == "list") {
        return sealpost::cli::runList(args, *global);
    }
    if (command == "show") {
        return sealpost::cli::runShow(args, *global);
    }
    if (command == "send") {
        if (std::find(args.begin(), args.end(), "--batch") != args.end()) {
            return sealpost::cli::runSendBatch(args, *global);
        }
        return sealpost::cli::runSend(args, *global);
    }
    if (command == "receive") {
        return sealpost::cli::runReceive(args, *global);
    }
    if (command == "read") {
        return sealpost::cli::runRead(args, *global);
    }
    if (command == "reply") {
        return sealpost::cli::runReply(args, *global);
    }
    if (command == "outbox") {
        return sealpost::cli::runOutbox(args, *global);
    }
    if (command == "directory") {
        return sealpost::cli::runDirectory(args, *global);
    }
    if (command == "lookup") {
        return sealpost::cli::runLookup(args, *global);
    }
    if (command == "publish") {
        return sealpost::cli::runPublish(args, *global);
    }
    if (command == "enroll") {
        return sealpost::cli::runEnroll(args, *global);
    }
    if (command == "renew") {
        return sealpost::cli::runRenew(args, *global);
    }
    if (command == "status") {
        return sealpost::cli::runStatus(args, *global);
    }
    if (command == "version" || command == "--version") {
        std::cout << "sealpost-cli " << SEALPOST_VERSION << "\n";
        return sealpost::cli::kExitOk;
    }
    std::cerr << "sealpost-cli: unknown command \"" << command << "\"\n" << kUsage;
    return sealpost::cli::kExitUsage;
}
