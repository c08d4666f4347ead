/* DEALER -> ROUTER throughput over CURVE with the system's libzmq (Debian's 4.3.4 with
 * libsodium 1.0.18, what tessera links), in two processes, our two-frame message shape (a
 * 46-byte header and the payload): the like-for-like reference for `tessera bench transport
 * --curve`. pyzmq bundles libzmq 4.3.5 with libsodium 1.0.20, which encrypts faster.
 * Build and run: gcc -O2 scripts/zmq_curve_thr.c -o /tmp/zmq_curve_thr -lzmq
 *                /tmp/zmq_curve_thr 1048576 curve    (omit "curve" for plain) */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  size_t size=atol(argv[1]); int count=size<=1<<20?3000:200; int curve=argc>2;
  char spub[41],ssec[41],cpub[41],csec[41]; zmq_curve_keypair(spub,ssec); zmq_curve_keypair(cpub,csec);
  int fds[2]; pipe(fds);
  pid_t pid=fork();
  if(pid==0){ // receiver: ROUTER
    void*c=zmq_ctx_new(); void*s=zmq_socket(c,ZMQ_ROUTER);
    if(curve){int one=1; zmq_setsockopt(s,ZMQ_CURVE_SERVER,&one,sizeof one); zmq_setsockopt(s,ZMQ_CURVE_SECRETKEY,ssec,40);}
    zmq_bind(s,"tcp://127.0.0.1:25999"); write(fds[1],"x",1);
    zmq_msg_t m; zmq_msg_init(&m); double t0=0;
    for(int i=0;i<count;i++){ for(int part=0;part<3;part++){ zmq_msg_recv(&m,s,0);} if(i==0)t0=now(); }
    double dt=now()-t0; printf("%s %zu %.3f GB/s\n",curve?"curve":"plain",size,(count-1)*(double)size/dt/1e9); fflush(stdout); _exit(0);
  }
  char b; read(fds[0],&b,1);
  void*c=zmq_ctx_new(); void*s=zmq_socket(c,ZMQ_DEALER);
  if(curve){ zmq_setsockopt(s,ZMQ_CURVE_SERVERKEY,spub,40); zmq_setsockopt(s,ZMQ_CURVE_PUBLICKEY,cpub,40); zmq_setsockopt(s,ZMQ_CURVE_SECRETKEY,csec,40);}
  zmq_connect(s,"tcp://127.0.0.1:25999");
  char*buf=malloc(size); memset(buf,7,size); char hdr[46]={0};
  for(int i=0;i<count;i++){ zmq_send(s,hdr,46,ZMQ_SNDMORE); zmq_send(s,buf,size,0);} 
  waitpid(pid,0,0); return 0;}
