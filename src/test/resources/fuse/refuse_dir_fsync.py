"""A passthrough FUSE filesystem whose fsync of a directory fails with EINVAL, as some SMB/CIFS mounts and FUSE
filesystems answer. Tests mount it to check that the service continues there (issue 7, item 5).
Usage: python3 refuse_dir_fsync.py BACKING_DIR MOUNT_POINT   (needs root or fuse rights, and python3-fusepy)
"""
import errno, os, sys
from fusepy import FUSE, FuseOSError, Operations

class Passthrough(Operations):
    def __init__(self, root): self.root = root
    def _p(self, path): return os.path.join(self.root, path.lstrip('/'))
    def access(self, path, mode):
        if not os.access(self._p(path), mode): raise FuseOSError(errno.EACCES)
    def getattr(self, path, fh=None):
        st = os.lstat(self._p(path))
        return {k: getattr(st, k) for k in ('st_atime','st_ctime','st_gid','st_mode','st_mtime','st_nlink','st_size','st_uid')}
    def readdir(self, path, fh): return ['.', '..'] + os.listdir(self._p(path))
    def mkdir(self, path, mode): return os.mkdir(self._p(path), mode)
    def rmdir(self, path): return os.rmdir(self._p(path))
    def unlink(self, path): return os.unlink(self._p(path))
    def rename(self, old, new): return os.rename(self._p(old), self._p(new))
    def chmod(self, path, mode): return os.chmod(self._p(path), mode)
    def chown(self, path, uid, gid): return os.chown(self._p(path), uid, gid)
    def truncate(self, path, length, fh=None):
        with open(self._p(path), 'r+') as f: f.truncate(length)
    def utimens(self, path, times=None): return os.utime(self._p(path), times)
    def statfs(self, path):
        st = os.statvfs(self._p(path))
        return {k: getattr(st, k) for k in ('f_bavail','f_bfree','f_blocks','f_bsize','f_favail','f_ffree','f_files','f_flag','f_frsize','f_namemax')}
    def open(self, path, flags): return os.open(self._p(path), flags)
    def create(self, path, mode, fi=None): return os.open(self._p(path), os.O_WRONLY | os.O_CREAT, mode)
    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)  # positional: FUSE runs reads on many threads
    def write(self, path, data, offset, fh):
        return os.pwrite(fh, data, offset)
    def flush(self, path, fh): return 0
    def release(self, path, fh): return os.close(fh)
    def fsync(self, path, datasync, fh): os.fsync(fh); return 0
    def fsyncdir(self, path, datasync, fh):
        raise FuseOSError(errno.EINVAL)  # as some SMB/CIFS and FUSE filesystems answer

if __name__ == '__main__':
    FUSE(Passthrough(sys.argv[1]), sys.argv[2], foreground=True, nothreads=False)
