// The floor of writing the large tree into one output file on this machine (benches/README.md,
// "How far the targets are"). Not part of the build.
//
//   gcc -O2 -pthread -o /tmp/large-floor benches/floor/large.c
//   cd TREE && /tmp/large-floor MODE /dev/shm/out f0000*
//
// MODE 0: read and write with 1 MiB buffers (what tar does); 1: the output mapped, read straight
// into it (page faults per page); 2: as 1, the mapping populated first by two threads
// (MADV_POPULATE_WRITE), 8 MiB chunks each in turn.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static char *map; static size_t total; static size_t CH=8<<20;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static void *pop(void*a){long k=(long)a; for(size_t o=k*CH;o<total;o+=2*CH){size_t n=total-o<CH?total-o:CH; if(madvise(map+o,n,MADV_POPULATE_WRITE))perror("madvise");} return 0;}
int main(int argc,char**argv){
  int mode=atoi(argv[1]); const char*out=argv[2]; int nf=argc-3;
  int fds[16]; size_t sz[16]; total=0;
  for(int i=0;i<nf;i++){fds[i]=open(argv[3+i],O_RDONLY);struct stat st;fstat(fds[i],&st);sz[i]=st.st_size;total+=sz[i];}
  double t0=now();
  int o=open(out,O_RDWR|O_CREAT|O_TRUNC,0644);
  if(mode==0){ char*buf=aligned_alloc(4096,1<<20); for(int i=0;i<nf;i++){ssize_t r; while((r=read(fds[i],buf,1<<20))>0) write(o,buf,r);} }
  else { ftruncate(o,total); map=mmap(0,total,PROT_READ|PROT_WRITE,MAP_SHARED,o,0);
    pthread_t a,b; if(mode==2){pthread_create(&a,0,pop,(void*)0);pthread_create(&b,0,pop,(void*)1);pthread_join(a,0);pthread_join(b,0);}
    double t1=now(); size_t off=0; for(int i=0;i<nf;i++){ssize_t r; while((r=read(fds[i],map+off,1<<20))>0) off+=r;}
    fprintf(stderr,"populate %.3f ",t1-t0); munmap(map,total);}
  close(o); fprintf(stderr,"mode %d total %.3f\n",mode,now()-t0); return 0;}
