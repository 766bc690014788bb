// The floor of a small-file backup on this machine, without any format or catalog: what the
// system calls alone cost (benches/README.md, "How far the targets are"). Not part of the build.
//
//   gcc -O2 -pthread -o /tmp/small-floor benches/floor/small.c
//   cd TREE && /tmp/small-floor MODE . /dev/shm/out     # MODE: a sum of the bits below
//
// Per file: openat, fstat, (1) flistxattr, read, close; data packed into 1 MiB buffers at
// 1 KiB alignment, like MTF. (2) a writer thread writes the buffers (else the reader does);
// (4) two reader threads, directories split between them. The writer waits by spinning on
// sched_yield: compare wall times, not CPU.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <stdatomic.h>
// mode bits: 1 = xattr, 2 = separate writer thread, 4 = two reader threads (split dirs)
static int mode; static const char*root; static int outfd;
#define NB 64
#define BS (1<<20)
static char *bufs[NB]; static size_t lens[NB]; static atomic_long head, tail; // head: produced, tail: consumed
static pthread_mutex_t mu=PTHREAD_MUTEX_INITIALIZER;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static char **dirs; static int ndirs;
static void emit(char**cur,size_t*used){ // hand off
  if(!(mode&2)){ write(outfd,*cur,*used); *used=0; return;}
  long h=atomic_fetch_add(&head,1); // slot
  while(h-atomic_load(&tail)>=NB-2) sched_yield();
  // simplistic: copy into slot
  memcpy(bufs[h%NB],*cur,*used); lens[h%NB]=*used; atomic_thread_fence(memory_order_release);
  *used=0;
}
static atomic_int readers_done;
static void *reader(void*a){ long k=(long)a; int step=(mode&4)?2:1; char*cur=malloc(BS); size_t used=0; char xl[256];
  for(int d=k; d<ndirs; d+=step){ int dfd=open(dirs[d],O_RDONLY|O_DIRECTORY); DIR*dp=fdopendir(dfd); struct dirent*e;
    while((e=readdir(dp))){ if(e->d_type!=DT_REG) continue; int fd=openat(dfd,e->d_name,O_RDONLY|O_NOFOLLOW|O_NONBLOCK); if(fd<0)continue;
      struct stat st; fstat(fd,&st); if(mode&1) flistxattr(fd,xl,sizeof xl);
      if(used+st.st_size+1024>BS){ pthread_mutex_lock(&mu); emit(&cur,&used); pthread_mutex_unlock(&mu);}
      used+=1024; ssize_t r=read(fd,cur+used,st.st_size); if(r>0) used+=(r+1023)&~1023; close(fd);}
    closedir(dp);}
  pthread_mutex_lock(&mu); emit(&cur,&used); pthread_mutex_unlock(&mu); atomic_fetch_add(&readers_done,1); return 0;}
static void *writer(void*a){ long t=0; for(;;){ long h=atomic_load(&head); if(t<h-1 || (atomic_load(&readers_done)==((mode&4)?2:1) && t<h)){ write(outfd,bufs[t%NB],lens[t%NB]); t++; atomic_store(&tail,t);} else if(atomic_load(&readers_done)==((mode&4)?2:1) && t>=atomic_load(&head)) break; else sched_yield(); } return 0;}
int main(int argc,char**argv){ mode=atoi(argv[1]); root=argv[2]; outfd=open(argv[3],O_WRONLY|O_CREAT|O_TRUNC,0644);
  for(int i=0;i<NB;i++) bufs[i]=malloc(BS);
  double t0=now(); DIR*r=opendir(root); struct dirent*e; dirs=malloc(sizeof(char*)*10000);
  while((e=readdir(r))) if(e->d_name[0]!='.'){ char*p; asprintf(&p,"%s/%s",root,e->d_name); dirs[ndirs++]=p; }
  pthread_t w,r1,r2; if(mode&2) pthread_create(&w,0,writer,0);
  pthread_create(&r1,0,reader,(void*)0); if(mode&4) pthread_create(&r2,0,reader,(void*)1);
  pthread_join(r1,0); if(mode&4) pthread_join(r2,0); if(mode&2) pthread_join(w,0);
  close(outfd); fprintf(stderr,"mode %d %.3f s\n",mode,now()-t0); }
