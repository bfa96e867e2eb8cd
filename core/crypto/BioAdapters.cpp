#include "crypto/BioAdapters.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>

namespace sealpost::crypto {

namespace {

struct SourceState {
    std::span<const base::ByteView> pieces;
    std::size_t piece = 0;
    std::size_t offset = 0;
};

int sourceRead(BIO* bio, char* out, int size) {
    auto* st = static_cast<SourceState*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    std::size_t want = static_cast<std::size_t>(std::max(size, 0));
    std::size_t done = 0;
    while (done < want && st->piece < st->pieces.size()) {
        const base::ByteView cur = st->pieces[st->piece];
        const std::size_t n = std::min(want - done, cur.size() - st->offset);
        std::memcpy(out + done, cur.data() + st->offset, n);
        done += n;
        st->offset += n;
        if (st->offset == cur.size()) {
            ++st->piece;
            st->offset = 0;
        }
    }
    return static_cast<int>(done);
}

long sourceCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
    auto* st = static_cast<SourceState*>(BIO_get_data(bio));
    switch (cmd) {
    case BIO_CTRL_EOF: return st->piece >= st->pieces.size() ? 1 : 0;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

int sourceDestroy(BIO* bio) {
    delete static_cast<SourceState*>(BIO_get_data(bio));
    BIO_set_data(bio, nullptr);
    return 1;
}

int sinkWrite(BIO* bio, const char* data, int size) {
    auto* sink = static_cast<base::ByteSink*>(BIO_get_data(bio));
    if (size <= 0) {
        return 0;
    }
    const base::ByteView view(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
    return sink->write(view) ? size : -1;
}

long sinkCtrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int inPlaceRead(BIO* bio, char* out, int size) {
    auto* st = static_cast<InPlaceState*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const std::size_t n = std::min(static_cast<std::size_t>(std::max(size, 0)), st->buffer.size() - st->read);
    std::memcpy(out, st->buffer.data() + st->read, n);
    st->read += n;
    return static_cast<int>(n);
}

long inPlaceSourceCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
    const auto* st = static_cast<InPlaceState*>(BIO_get_data(bio));
    switch (cmd) {
    case BIO_CTRL_EOF: return st->read == st->buffer.size() ? 1 : 0;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

int inPlaceWrite(BIO* bio, const char* data, int size) {
    auto* st = static_cast<InPlaceState*>(BIO_get_data(bio));
    if (size <= 0) {
        return 0;
    }
    const auto n = static_cast<std::size_t>(size);
    if (n > st->read - st->written) {
        return -1; // would overwrite input not read yet
    }
    std::memmove(st->buffer.data() + st->written, data, n);
    st->written += n;
    return size;
}

// The method tables are created once and never freed (OpenSSL keeps pointers to them).
const BIO_METHOD* sourceMethod() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealpost-source");
        BIO_meth_set_read(m, sourceRead);
        BIO_meth_set_ctrl(m, sourceCtrl);
        BIO_meth_set_destroy(m, sourceDestroy);
        return m;
    }();
    return method;
}

const BIO_METHOD* sinkMethod() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealpost-sink");
        BIO_meth_set_write(m, sinkWrite);
        BIO_meth_set_ctrl(m, sinkCtrl);
        return m;
    }();
    return method;
}

const BIO_METHOD* inPlaceSourceMethod() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealpost-in-place-source");
        BIO_meth_set_read(m, inPlaceRead);
        BIO_meth_set_ctrl(m, inPlaceSourceCtrl);
        return m;
    }();
    return method;
}

const BIO_METHOD* inPlaceSinkMethod() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealpost-in-place-sink");
        BIO_meth_set_write(m, inPlaceWrite);
        BIO_meth_set_ctrl(m, sinkCtrl);
        return m;
    }();
    return method;
}

} // namespace

OsslPtr<BIO> makeSourceBio(std::span<const base::ByteView> pieces) {
    OsslPtr<BIO> bio(BIO_new(sourceMethod()));
    if (bio) {
        BIO_set_data(bio.get(), new SourceState{pieces});
        BIO_set_init(bio.get(), 1);
    }
    return bio;
}

OsslPtr<BIO> makeSinkBio(base::ByteSink& sink) {
    OsslPtr<BIO> bio(BIO_new(sinkMethod()));
    if (bio) {
        BIO_set_data(bio.get(), &sink);
        BIO_set_init(bio.get(), 1);
    }
    return bio;
}

InPlaceBios makeInPlaceBios(InPlaceState& state) {
    InPlaceBios bios{OsslPtr<BIO>(BIO_new(inPlaceSourceMethod())), OsslPtr<BIO>(BIO_new(inPlaceSinkMethod()))};
    for (BIO* bio : {bios.source.get(), bios.sink.get()}) {
        if (bio != nullptr) {
            BIO_set_data(bio, &state);
            BIO_set_init(bio, 1);
        }
    }
    return bios;
}

} // namespace sealpost::crypto
