// The batched baseline of bench/harvest-throughput.sh: what `openssl cms -verify -CAfile ROOT
// -purpose smimesign` does for each message (SMIME_read_CMS, then CMS_verify in text mode, the
// certificate chain checked against ROOT), in one process for every file, so process start-up and
// loading the CA file are paid once. Nothing is stored; this is the S/MIME and crypto work alone.
//
//   sealpost-bench-openssl-verify ROOT.pem MAILDIR_OR_FILE...
//
// Prints "verified N failed M"; exit status 1 when a message did not verify.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <string>
#include <vector>

namespace {

struct BioFree {
    void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct CmsFree {
    void operator()(CMS_ContentInfo* p) const noexcept { CMS_ContentInfo_free(p); }
};
struct StoreFree {
    void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};

std::vector<std::filesystem::path> messageFiles(int argc, char** argv) {
    std::vector<std::filesystem::path> files;
    for (int i = 2; i < argc; ++i) {
        const std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const char* sub : {"cur", "new"}) {
                if (std::filesystem::is_directory(p / sub)) {
                    for (const auto& e : std::filesystem::directory_iterator(p / sub)) {
                        files.push_back(e.path());
                    }
                }
            }
        } else {
            files.push_back(p);
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

bool verifyOne(const std::string& message, X509_STORE* store) {
    std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(message.data(), static_cast<int>(message.size())));
    BIO* content = nullptr;
    std::unique_ptr<CMS_ContentInfo, CmsFree> cms(SMIME_read_CMS(in.get(), &content));
    const std::unique_ptr<BIO, BioFree> contentOwner(content);
    if (!cms) {
        return false;
    }
    return CMS_verify(cms.get(), nullptr, store, content, nullptr, 0) == 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: sealpost-bench-openssl-verify ROOT.pem MAILDIR_OR_FILE...\n";
        return 2;
    }
    const std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    if (!store || X509_STORE_load_file(store.get(), argv[1]) != 1 ||
        X509_STORE_set_purpose(store.get(), X509_PURPOSE_SMIME_SIGN) != 1) {
        std::cerr << "cannot load " << argv[1] << "\n";
        return 2;
    }
    std::size_t ok = 0;
    std::size_t failed = 0;
    for (const auto& file : messageFiles(argc, argv)) {
        std::ifstream f(file, std::ios::binary);
        const std::string message((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (verifyOne(message, store.get())) {
            ++ok;
        } else {
            if (failed++ == 0) {
                std::cerr << file.string() << ": ";
                ERR_print_errors_fp(stderr);
            }
            ERR_clear_error();
        }
    }
    std::cout << "verified " << ok << " failed " << failed << "\n";
    return failed == 0 ? 0 : 1;
}
