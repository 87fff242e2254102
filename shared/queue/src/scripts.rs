//! The Lua scripts of the job runtime (loaded once, run by SHA with automatic reload after a Redis restart).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        #[doc = concat!("`", $file, "`")]
        pub static $name: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!($file)));
    };
}

/// A script that starts with `lua/lib/forget.lua` (the helpers that take finished tasks out of apalis'
/// storage).
macro_rules! forgetting_script {
    ($name:ident, $file:literal) => {
        #[doc = concat!("`lua/lib/forget.lua` + `", $file, "`")]
        pub static $name: LazyLock<Script> = LazyLock::new(|| {
            Script::new(concat!(
                include_str!("lua/lib/forget.lua"),
                "\n",
                include_str!($file)
            ))
        });
    };
}

script!(ENQUEUE, "lua/enqueue.lua");
script!(PROMOTE, "lua/promote.lua");
script!(START_MANY, "lua/start_many.lua");
forgetting_script!(SUCCEED_MANY, "lua/succeed_many.lua");
forgetting_script!(FORGET_MANY, "lua/forget_many.lua");
script!(PUT_BACK, "lua/put_back.lua");
script!(RETRY, "lua/retry.lua");
script!(START_LIMITED, "lua/start_limited.lua");
script!(THROTTLE, "lua/throttle.lua");
script!(BURY, "lua/bury.lua");
script!(REQUEUE, "lua/requeue.lua");
script!(CANCEL, "lua/cancel.lua");
script!(DELETE, "lua/delete.lua");
script!(RETRY_NOW, "lua/retry_now.lua");
