// The Java API's native half: each method of vn.noi.Replica over one function of the C API
// (noi.h), so Java sees exactly what C callers see. Strings cross as NUL-terminated UTF-8 byte
// arrays that the Java side makes and reads; failures become vn.noi.NoiException with the C
// API's code and message.
#include <noi/noi.h>

#include "vn_noi_Replica.h" // the generated declarations: a signature that drifts does not compile

#include <jni.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace {

noi_replica* replica(jlong h) {
    return reinterpret_cast<noi_replica*>(static_cast<intptr_t>(h));
}

jbyteArray bytes(JNIEnv* env, const char* s) {
    const auto n = static_cast<jsize>(std::strlen(s));
    jbyteArray out = env->NewByteArray(n);
    if (out) env->SetByteArrayRegion(out, 0, n, reinterpret_cast<const jbyte*>(s));
    return out;
}

// The classes the library makes objects of, found when it is loaded: a thread the library
// attached itself finds only the system's classes by name on Android, not the app's.
struct java_classes {
    jclass noi_exception = nullptr, sync_progress = nullptr, string = nullptr;
    jmethodID make_exception = nullptr, make_progress = nullptr, make_string = nullptr;
    jstring utf8 = nullptr; // "UTF-8", for new String(bytes, "UTF-8")
} java;

bool find_classes(JNIEnv* env) {
    auto global_class = [env](const char* name) {
        jclass local = env->FindClass(name);
        if (!local) return static_cast<jclass>(nullptr);
        auto* global = static_cast<jclass>(env->NewGlobalRef(local));
        env->DeleteLocalRef(local);
        return global;
    };
    java.noi_exception = global_class("vn/noi/NoiException");
    java.sync_progress = global_class("vn/noi/SyncProgress");
    java.string = global_class("java/lang/String");
    if (!java.noi_exception || !java.sync_progress || !java.string) return false;
    java.make_exception = env->GetMethodID(java.noi_exception, "<init>", "(I[B)V");
    java.make_progress = env->GetMethodID(java.sync_progress, "<init>", "(IIJJJJJJIJ[B)V");
    java.make_string = env->GetMethodID(java.string, "<init>", "([BLjava/lang/String;)V");
    jstring utf8 = env->NewStringUTF("UTF-8");
    if (!utf8) return false;
    java.utf8 = static_cast<jstring>(env->NewGlobalRef(utf8));
    env->DeleteLocalRef(utf8);
    return java.make_exception && java.make_progress && java.make_string && java.utf8;
}

void throw_noi(JNIEnv* env, int code, const char* message) {
    jbyteArray text = bytes(env, message);
    if (!text) return; // OutOfMemoryError pending
    auto* e = static_cast<jthrowable>(
        env->NewObject(java.noi_exception, java.make_exception, static_cast<jint>(code), text));
    if (e) env->Throw(e);
}

// Throws unless the C API said NOI_OK; true when it did.
bool ok(JNIEnv* env, int code, const noi_error& err) {
    if (code == NOI_OK) return true;
    throw_noi(env, code, err.message);
    return false;
}

// The JSON text a C API call gave (or the exception it refused with), its memory freed.
jbyteArray json_bytes(JNIEnv* env, int code, char* json, const noi_error& err) {
    if (!ok(env, code, err)) return nullptr;
    jbyteArray out = bytes(env, json);
    noi_free(json);
    return out;
}

// A Java byte[] as the C API takes it: null stays null. The Java side ends each with a NUL.
class text {
public:
    text(JNIEnv* env, jbyteArray a) : env_(env), a_(a) {
        if (a_) p_ = env_->GetByteArrayElements(a_, nullptr);
    }
    ~text() {
        if (p_) env_->ReleaseByteArrayElements(a_, p_, JNI_ABORT);
    }
    text(const text&) = delete;
    text& operator=(const text&) = delete;
    const char* get() const { return reinterpret_cast<const char*>(p_); }

private:
    JNIEnv* env_;
    jbyteArray a_;
    jbyte* p_ = nullptr;
};

// Detaches a thread of the library's that called into Java when it ends, as the JVM requires.
struct attached {
    JavaVM* vm = nullptr;
    ~attached() {
        if (vm) vm->DetachCurrentThread();
    }
};
thread_local attached this_thread;

JNIEnv* env_of(JavaVM* vm) {
    void* env = nullptr;
    if (vm->GetEnv(&env, JNI_VERSION_1_6) == JNI_OK) return static_cast<JNIEnv*>(env);
    JNIEnv* attached_env = nullptr;
#ifdef __ANDROID__
    if (vm->AttachCurrentThread(&attached_env, nullptr) != JNI_OK) return nullptr;
#else
    if (vm->AttachCurrentThread(reinterpret_cast<void**>(&attached_env), nullptr) != JNI_OK)
        return nullptr;
#endif
    this_thread.vm = vm;
    return attached_env;
}

// A listener the C API calls back through: the JVM and a global reference, kept per replica
// and kind until it is replaced or the replica closed.
struct listener {
    JavaVM* vm;
    jobject target;
};

enum class kind { schema, progress, log, changes, wipe };

struct replica_kind {
    noi_replica* r;
    kind k;
    bool operator==(const replica_kind&) const = default;
};
struct replica_kind_hash {
    std::size_t operator()(const replica_kind& x) const {
        return std::hash<const void*>()(x.r) ^ static_cast<std::size_t>(x.k);
    }
};

std::mutex listeners_mutex;
std::unordered_map<replica_kind, std::unique_ptr<listener>, replica_kind_hash> listeners;

void forget_listener(JNIEnv* env, noi_replica* r, kind k) {
    std::unique_ptr<listener> old;
    {
        std::lock_guard lock(listeners_mutex);
        auto it = listeners.find({r, k});
        if (it == listeners.end()) return;
        old = std::move(it->second);
        listeners.erase(it);
    }
    env->DeleteGlobalRef(old->target);
}

// Sets the C callback `set` with `cb` for `target`, or removes it for null; the listener kept
// as long as the C API may call it.
template <class Callback, class Set>
void set_listener(JNIEnv* env, jlong h, jobject target, kind k, Callback cb, Set set) {
    noi_error err{};
    auto* r = replica(h);
    if (!target) {
        if (ok(env, set(r, nullptr, nullptr, &err), err)) forget_listener(env, r, k);
        return;
    }
    auto l = std::make_unique<listener>();
    if (env->GetJavaVM(&l->vm) != JNI_OK) {
        throw_noi(env, NOI_ERR, "cannot reach the Java VM to call the listener");
        return;
    }
    l->target = env->NewGlobalRef(target);
    if (!ok(env, set(r, cb, l.get(), &err), err)) {
        env->DeleteGlobalRef(l->target);
        return;
    }
    forget_listener(env, r, k);
    std::lock_guard lock(listeners_mutex);
    listeners[{r, k}] = std::move(l);
}

// A listener's exception is the app's: printed and cleared, never unwound through the library.
void clear_exception(JNIEnv* env) {
    if (env->ExceptionCheck()) {
        env->ExceptionDescribe();
        env->ExceptionClear();
    }
}

// Calls `method` of the listener's object.
template <class... Args>
void call(const listener& l, const char* method, const char* signature, Args... args) {
    JNIEnv* env = env_of(l.vm);
    if (!env) return;
    jclass cls = env->GetObjectClass(l.target);
    jmethodID m = env->GetMethodID(cls, method, signature);
    if (m) env->CallVoidMethod(l.target, m, args...);
    clear_exception(env);
    env->DeleteLocalRef(cls);
}

void on_schema(uint32_t from, uint32_t to, void* user) {
    call(*static_cast<listener*>(user), "onSchemaChanged", "(II)V", static_cast<jint>(from),
         static_cast<jint>(to));
}

void on_wipe(int64_t wiped_at_ms, void* user) {
    call(*static_cast<listener*>(user), "onWiped", "(J)V", static_cast<jlong>(wiped_at_ms));
}

void on_progress(const noi_progress* p, void* user) {
    const auto& l = *static_cast<listener*>(user);
    JNIEnv* env = env_of(l.vm);
    if (!env) return;
    jbyteArray message = bytes(env, p->message);
    jobject progress =
        message
            ? env->NewObject(java.sync_progress, java.make_progress, static_cast<jint>(p->phase),
                             static_cast<jint>(p->attempt), static_cast<jlong>(p->rows_sent),
                             static_cast<jlong>(p->rows_to_send), static_cast<jlong>(p->bytes_sent),
                             static_cast<jlong>(p->bytes_to_send),
                             static_cast<jlong>(p->rows_received),
                             static_cast<jlong>(p->bytes_received), static_cast<jint>(p->stall),
                             static_cast<jlong>(p->retry_in_ms), message)
            : nullptr;
    if (progress) call(l, "onProgress", "(Lvn/noi/SyncProgress;)V", progress);
    clear_exception(env);
    for (jobject local : {progress, static_cast<jobject>(message)})
        if (local) env->DeleteLocalRef(local);
}

// new String(bytes, "UTF-8"): the C API's UTF-8 as it is (a local reference, or null with an
// exception pending).
jstring java_string(JNIEnv* env, const char* s) {
    jbyteArray utf8 = bytes(env, s);
    if (!utf8) return nullptr;
    auto* text =
        static_cast<jstring>(env->NewObject(java.string, java.make_string, utf8, java.utf8));
    env->DeleteLocalRef(utf8);
    return text;
}

void on_log(int level, const char* message, void* user) {
    const auto& l = *static_cast<listener*>(user);
    JNIEnv* env = env_of(l.vm);
    if (!env) return;
    jstring text = java_string(env, message);
    if (text) call(l, "onLog", "(ILjava/lang/String;)V", static_cast<jint>(level), text);
    clear_exception(env);
    if (text) env->DeleteLocalRef(text);
}

void on_changes(const char* table, const char* const* row_ids, size_t count, void* user) {
    const auto& l = *static_cast<listener*>(user);
    JNIEnv* env = env_of(l.vm);
    if (!env) return;
    jstring name = java_string(env, table);
    jobjectArray ids =
        name ? env->NewObjectArray(static_cast<jsize>(count), java.string, nullptr) : nullptr;
    for (size_t i = 0; ids && i < count; ++i) {
        jstring id = java_string(env, row_ids[i]);
        if (!id) {
            env->DeleteLocalRef(ids);
            ids = nullptr;
            break;
        }
        env->SetObjectArrayElement(ids, static_cast<jsize>(i), id);
        env->DeleteLocalRef(id);
    }
    if (ids) call(l, "onRowsChanged", "(Ljava/lang/String;[Ljava/lang/String;)V", name, ids);
    clear_exception(env);
    for (jobject local : {static_cast<jobject>(ids), static_cast<jobject>(name)})
        if (local) env->DeleteLocalRef(local);
}

} // namespace

extern "C" {

JNIEXPORT jint JNI_OnLoad(JavaVM* vm, void*) {
    void* env = nullptr;
    if (vm->GetEnv(&env, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
    return find_classes(static_cast<JNIEnv*>(env)) ? JNI_VERSION_1_6 : JNI_ERR;
}

JNIEXPORT jlong JNICALL Java_vn_noi_Replica_nativeInit(JNIEnv* env, jclass, jbyteArray path,
                                                       jbyteArray url, jbyteArray token) {
    text p(env, path), u(env, url), t(env, token);
    noi_error err{};
    noi_replica* r = nullptr;
    if (!ok(env, noi_init(p.get(), u.get(), t.get(), &r, &err), err)) return 0;
    return static_cast<jlong>(reinterpret_cast<intptr_t>(r));
}

JNIEXPORT jlong JNICALL Java_vn_noi_Replica_nativeOpen(JNIEnv* env, jclass, jbyteArray path) {
    text p(env, path);
    noi_error err{};
    noi_replica* r = nullptr;
    if (!ok(env, noi_open(p.get(), &r, &err), err)) return 0;
    return static_cast<jlong>(reinterpret_cast<intptr_t>(r));
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetServer(JNIEnv* env, jclass, jlong h,
                                                           jbyteArray url, jbyteArray ca_file,
                                                           jboolean allow_plain_http) {
    text u(env, url), c(env, ca_file);
    noi_error err{};
    ok(env, noi_set_server(replica(h), u.get(), c.get(), allow_plain_http ? 1 : 0, &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetToken(JNIEnv* env, jclass, jlong h,
                                                          jbyteArray token, jboolean keep) {
    text t(env, token);
    noi_error err{};
    ok(env, noi_set_token(replica(h), t.get(), keep ? 1 : 0, &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativePinCa(JNIEnv* env, jclass, jlong h,
                                                       jbyteArray sha256) {
    text pin(env, sha256);
    noi_error err{};
    ok(env, noi_pin_ca(replica(h), pin.get(), &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeExec(JNIEnv* env, jclass, jlong h,
                                                      jbyteArray sql) {
    text s(env, sql);
    noi_error err{};
    ok(env, noi_exec(replica(h), s.get(), &err), err);
}

JNIEXPORT jbyteArray JNICALL Java_vn_noi_Replica_nativeQueryJson(JNIEnv* env, jclass, jlong h,
                                                                 jbyteArray sql) {
    text s(env, sql);
    noi_error err{};
    char* json = nullptr;
    const int code = noi_query_json(replica(h), s.get(), &json, &err);
    return json_bytes(env, code, json, err);
}

JNIEXPORT jbyteArray JNICALL Java_vn_noi_Replica_nativeRejectionsJson(JNIEnv* env, jclass, jlong h,
                                                                      jbyteArray lang) {
    text l(env, lang);
    noi_error err{};
    char* json = nullptr;
    const int code = noi_rejections_json(replica(h), l.get(), &json, &err);
    return json_bytes(env, code, json, err);
}

JNIEXPORT jbyteArray JNICALL Java_vn_noi_Replica_nativeConflictsJson(JNIEnv* env, jclass, jlong h) {
    noi_error err{};
    char* json = nullptr;
    const int code = noi_conflicts_json(replica(h), &json, &err);
    return json_bytes(env, code, json, err);
}

JNIEXPORT jbyteArray JNICALL Java_vn_noi_Replica_nativeLabelsJson(JNIEnv* env, jclass, jlong h) {
    noi_error err{};
    char* json = nullptr;
    const int code = noi_labels_json(replica(h), &json, &err);
    return json_bytes(env, code, json, err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeDropRejected(JNIEnv* env, jclass, jlong h,
                                                              jlong id) {
    noi_error err{};
    ok(env, noi_drop_rejected(replica(h), static_cast<std::uint64_t>(id), &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeResendRejected(JNIEnv* env, jclass, jlong h,
                                                                jlong id, jbyteArray corrections) {
    text c(env, corrections);
    noi_error err{};
    ok(env, noi_resend_rejected(replica(h), static_cast<std::uint64_t>(id), c.get(), &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSync(JNIEnv* env, jclass, jlong h,
                                                      jint timeout_seconds) {
    noi_error err{};
    ok(env, noi_sync(replica(h), timeout_seconds, &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeStartBackgroundSync(JNIEnv* env, jclass, jlong h) {
    noi_error err{};
    ok(env, noi_start_background_sync(replica(h), &err), err);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeStopBackgroundSync(JNIEnv*, jclass, jlong h) {
    noi_stop_background_sync(replica(h));
}

JNIEXPORT jlongArray JNICALL Java_vn_noi_Replica_nativeStatus(JNIEnv* env, jclass, jlong h) {
    noi_error err{};
    noi_status s{};
    if (!ok(env, noi_get_status(replica(h), &s, &err), err)) return nullptr;
    const jlong values[] = {static_cast<jlong>(s.pending), static_cast<jlong>(s.rejected),
                            static_cast<jlong>(s.server_seq), s.last_sync_at_ms, s.wiped_at_ms};
    jlongArray out = env->NewLongArray(5);
    if (out) env->SetLongArrayRegion(out, 0, 5, values);
    return out;
}

JNIEXPORT jint JNICALL Java_vn_noi_Replica_nativeSchemaVersion(JNIEnv* env, jclass, jlong h) {
    noi_error err{};
    uint32_t v = 0;
    if (!ok(env, noi_get_schema_version(replica(h), &v, &err), err)) return 0;
    return static_cast<jint>(v);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetSchemaListener(JNIEnv* env, jclass, jlong h,
                                                                   jobject target) {
    set_listener(env, h, target, kind::schema, on_schema, noi_set_schema_callback);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetProgressListener(JNIEnv* env, jclass, jlong h,
                                                                     jobject target) {
    set_listener(env, h, target, kind::progress, on_progress, noi_set_progress_callback);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetLogListener(JNIEnv* env, jclass, jlong h,
                                                                jobject target) {
    set_listener(env, h, target, kind::log, on_log, noi_set_log_callback);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetChangeListener(JNIEnv* env, jclass, jlong h,
                                                                   jobject target) {
    set_listener(env, h, target, kind::changes, on_changes, noi_set_changes_callback);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeSetWipeListener(JNIEnv* env, jclass, jlong h,
                                                                 jobject target) {
    set_listener(env, h, target, kind::wipe, on_wipe, noi_set_wipe_callback);
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeCancelSync(JNIEnv*, jclass, jlong h) {
    noi_cancel_sync(replica(h));
}

JNIEXPORT void JNICALL Java_vn_noi_Replica_nativeClose(JNIEnv* env, jclass, jlong h) {
    auto* r = replica(h);
    noi_close(r); // joins the background sync: no callback runs after this
    for (auto k : {kind::schema, kind::progress, kind::log, kind::changes, kind::wipe})
        forget_listener(env, r, k);
}

} // extern "C"
