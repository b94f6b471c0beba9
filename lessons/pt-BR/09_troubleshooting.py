# %% [markdown]
# # 09 · Solução de problemas
#
# A página do DataFlow Lab lista três problemas que os alunos encontram: um **erro de conexão**, um
# **erro ao salvar artefatos (artifacts)** e **modelos que não aparecem no registro de
# modelos (Model Registry)**. Esta lição provoca cada um de propósito e mostra o erro exato,
# o que o `lab doctor` diz sobre ele e a correção — para que, quando acontecer de verdade,
# você o reconheça na hora. Ela acrescenta as duas causas que o doctor não consegue ver: um
# script sem endereço de rastreamento, que loga tudo em um arquivo na própria pasta sem
# dar erro, e a armadilha de registro da própria página do DataFlow Lab. A lição deixa o laboratório
# saudável: a última célula executa o doctor.
#
# **Você vai aprender** três verificações que funcionam em qualquer instalação do MLflow; a
# ler os erros de conexão, de armazenamento e do registro do MLflow; a perceber execuções
# (runs) que nunca chegaram ao servidor; a executar o `lab doctor` (em um terminal, ou
# `lab_utils.run_checks` aqui); a corrigir cada causa.
#
# **Tempo:** 30 minutos (cerca de 18 para ler, 2 para executar as células, 10 para o exercício).
# **Pré-requisitos:** 00–04.
#
# **No mapa** (lição 00): cada seta da metade de cima, quebrada de propósito.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
wrong_port = 5999  # uma porta em que nenhum servidor de rastreamento escuta

# %%
import os
import subprocess
import sys

import mlflow
from mlflow import MlflowClient

# Os erros desta lição aparecem resumidos: a exceção e sua mensagem, sem a pilha de
# chamadas da biblioteca (`%xmode Context` traz o traceback completo de volta).
# %xmode Minimal


def doctor_lines(*names, **kwargs):
    """O veredito do doctor sobre algumas verificações, como o `lab doctor` o imprime."""
    for result in lab_utils.run_checks(lab, **kwargs):
        if result.name in names:
            print(result.line())


# %% [markdown]
# ## Três verificações que funcionam em qualquer instalação do MLflow
#
# O `lab doctor` conhece este laboratório. Em outra máquina — o servidor de um colega, um MLflow na
# nuvem — três perguntas encontram a maioria dos problemas, cada uma com uma ferramenta que
# você tem em qualquer lugar:
#
# 1. **Para onde meu código está logando?** `mlflow.get_tracking_uri()` responde de
#    dentro do Python. Deve ser o endereço do servidor; qualquer coisa que comece com
#    `sqlite:` ou `file:` é um arquivo local (seção 2).
# 2. **O servidor responde?** Em um terminal, `curl http://localhost:5000/health` imprime
#    `OK` quando o servidor de rastreamento (tracking server) está no ar.
# 3. **Consigo acessar o armazenamento de artefatos?** Liste o bucket com as mesmas chaves e
#    o mesmo endereço que o MLflow usa: no Python, com boto3, ou em um terminal, com a linha
#    de comando da AWS, `aws s3 ls s3://mlflow --endpoint-url http://localhost:9000`.

# %%
print("URI de rastreamento:", mlflow.get_tracking_uri())

# %%
# !curl -s {lab.tracking_uri}/health

# %%
import boto3

# O boto3 lê as chaves de AWS_ACCESS_KEY_ID e AWS_SECRET_ACCESS_KEY, como o MLflow.
s3 = boto3.client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
listing = s3.list_objects_v2(Bucket=lab.bucket, Delimiter="/")
print(f"s3://{lab.bucket}/ contém", [prefix["Prefix"] for prefix in listing.get("CommonPrefixes", [])])

# %% [markdown]
# O servidor do laboratório guarda os artefatos de cada experimento (experiment) em uma pasta com o
# id do experimento. O `lab doctor` faz essas verificações e outras, e diz como corrigir o
# que falhar.
#
# ## 1 · "Erro de conexão": o servidor de rastreamento está inacessível
#
# Um cliente apontado para o endereço errado (um erro de digitação na porta, ou um servidor
# que não está rodando) falha com um erro de conexão; `curl` nesse endereço responde
# `Connection refused`. Antes, o MLflow tenta de novo com pausas cada vez maiores (sete
# tentativas por padrão, cerca de quatro minutos ao todo); aqui permitimos uma única
# tentativa rápida para ver o erro na hora.

# %%
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "3"
wrong_uri = f"http://127.0.0.1:{wrong_port}"

# %% tags=["raises-exception", "raises:MlflowException"]
MlflowClient(tracking_uri=wrong_uri).search_experiments()

# %% [markdown]
# Consultado sobre o mesmo endereço, o doctor aponta o problema e a correção:

# %%
doctor_lines("tracking server", "model registry", tracking_uri=wrong_uri)

# %% [markdown]
# **Correção:** inicie o laboratório (`make up`) se `lab status` mostrar o servidor parado, e aponte
# o cliente para o endereço do laboratório: `lab_utils.connect()` em um notebook, `eval "$(lab env)"`
# em um shell, ou `MLFLOW_TRACKING_URI=http://localhost:5000`.

# %%
for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT"):
    del os.environ[name]
experiments = MlflowClient(tracking_uri=lab.tracking_uri).search_experiments()
print(f"✓ {len(experiments)} experimentos no servidor de rastreamento do laboratório")

# %% [markdown]
# ## 2 · Nenhum erro: as execuções foram para um arquivo na sua pasta
#
# Uma surpresa frequente não tem mensagem de erro nenhuma. Um script ou um notebook novo que
# nunca define um endereço de rastreamento continua logando — em um armazenamento local.
# Sem `MLFLOW_TRACKING_URI` e sem `mlflow.set_tracking_uri(...)`, o MLflow 3 usa
# `sqlite:///mlflow.db`: um arquivo de banco de dados `mlflow.db` na **pasta atual**, e uma
# pasta `mlruns/` ao lado dele para os artefatos, assim que uma execução logar algum.
# (Se a pasta já tiver uma `mlruns/` com execuções de um MLflow mais antigo, ele continua
# usando esses arquivos.) As execuções são reais e estão longe do servidor: a UI nunca as
# mostra.
#
# Executamos assim o primeiro exemplo da página do DataFlow Lab, em um processo Python separado,
# iniciado em uma pasta temporária vazia e com `MLFLOW_TRACKING_URI` removida do ambiente —
# como um script em uma máquina onde ela nunca foi definida. (Este notebook continua
# apontado para o laboratório.)

# %%
import re
import tempfile
import time

seed_example = """
import os
import mlflow

print("URI de rastreamento:", mlflow.get_tracking_uri().replace(os.getcwd(), "<esta pasta>"))

# Iniciar experimento
mlflow.set_experiment("meu_experimento")

# Iniciar execução
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.876)
print("run id:", run.info.run_id)
"""
# Sem MLFLOW_TRACKING_URI (nem a conta e o workspace de um workshop, que vêm junto com ela).
no_address = {k: v for k, v in os.environ.items()
              if not k.startswith("MLFLOW_TRACKING_") and k != "MLFLOW_WORKSPACE"}
started = time.monotonic()  # banco novo: o MLflow cria primeiro as tabelas, a maior parte do tempo desta célula
with tempfile.TemporaryDirectory() as folder:
    local = subprocess.run([sys.executable, "-c", seed_example], cwd=folder, env=no_address,
                           capture_output=True, text=True)
    created = sorted(os.listdir(folder))
print(f"código de saída {local.returncode}, {time.monotonic() - started:.0f} s; a pasta temporária foi apagada")

# %% [markdown]
# Código de saída 0: nada falhou. O que o script imprimiu, os arquivos que deixou na pasta e
# o que o MLflow disse no stderr (suas linhas de log, sem os carimbos de data e hora):

# %% tags=["nbval-check-output"]
local_run_id = re.search(r"run id: (\w+)", local.stdout).group(1)
print(local.stdout.splitlines()[0])
print("arquivos criados na pasta:", created)
for line in local.stderr.strip().splitlines():
    print("stderr:", re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", line))

# %% [markdown]
# **Como perceber:** `mlflow.get_tracking_uri()` começa com `sqlite:` (ou `file:`) em vez de
# `http://`; na primeira vez, o MLflow escreve no log `Creating initial MLflow database tables...`
# — ele acabou de criar um banco de dados novo (é a maior parte dos segundos que a célula
# acima levou); um arquivo `mlflow.db` (e, quando um artefato é logado, uma pasta
# `mlruns/`) aparece onde você executou o código; e a execução não está na UI.
#
# **Correção:** defina o endereço antes da primeira chamada ao MLflow — `export
# MLFLOW_TRACKING_URI=http://localhost:5000` no shell que executa o script (`eval "$(lab
# env)"` o define para este laboratório), ou `mlflow.set_tracking_uri("http://localhost:5000")` no
# início do script — e execute-o de novo. As execuções que já estão em um `mlflow.db`
# perdido ficam lá.
#
# ### Ponto de verificação: a execução não está no laboratório

# %% tags=["nbval-check-output"]
from mlflow.exceptions import MlflowException

assert local.returncode == 0, local.stderr[-300:]
assert "mlflow.db" in created, created
try:
    MlflowClient().get_run(local_run_id)
    raise AssertionError("a execução está no servidor do laboratório: MLFLOW_TRACKING_URI foi removida?")
except MlflowException:
    print("✓ a execução foi para o ./mlflow.db da pasta dela; o servidor do laboratório nunca ouviu falar dela")

# %% [markdown]
# ## 3 · "Erro ao salvar artefatos": chaves do armazenamento de objetos erradas ou ausentes
#
# > **Proxy** — um programa que repassa requisições a outro. O servidor de rastreamento do
# > laboratório faz proxy dos artefatos: os clientes enviam os arquivos ao servidor, e o servidor os
# > grava no armazenamento de objetos (object store) com as próprias chaves.
#
# Como o servidor do laboratório faz proxy dos artefatos, os notebooks não precisam de chaves. Mas
# um experimento pode ser criado com um local de artefatos `s3://`: aí é o *cliente* que
# grava diretamente no armazenamento de objetos, e ele mesmo precisa das chaves. Executamos
# esse cliente como um processo Python separado, com as chaves removidas do ambiente — como
# em uma máquina onde elas nunca foram definidas. (Um processo separado porque o MLflow
# mantém em cache o seu cliente S3, chaves incluídas, por até cinco minutos: depois de
# corrigir as chaves em um notebook, reinicie o kernel.)
#
# Em um laboratório de workshop, apenas leia esta seção: o servidor guarda as chaves do
# armazenamento e decide para onde vão os artefatos, então não há experimento `s3://` para
# quebrar (as células avisam).

# %%
direct_to_s3 = not lab.workshop  # um servidor de workshop recusa locais de artefatos próprios dos experimentos
experiment_name = "direct_to_s3"
if direct_to_s3 and mlflow.get_experiment_by_name(experiment_name) is None:
    mlflow.create_experiment(experiment_name, artifact_location=f"s3://{lab.bucket}/direct-to-s3")

client_code = f"""
import mlflow
mlflow.set_experiment("{experiment_name}")
with mlflow.start_run(run_name="direct_write"):
    mlflow.log_text("gravado pelo próprio cliente", "note.txt")
print("artefato gravado")
"""
no_keys = {k: v for k, v in os.environ.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
no_keys["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull  # sem recorrer a um arquivo ~/.aws pessoal
if direct_to_s3:
    failed = subprocess.run([sys.executable, "-c", client_code], env=no_keys, capture_output=True, text=True)
    print("código de saída", failed.returncode)
    print(failed.stderr.strip().splitlines()[-1])
else:
    print("laboratório de workshop: nada é gravado diretamente no armazenamento aqui")

# %% [markdown]
# Com chaves erradas, em vez de ausentes, o armazenamento recusa a assinatura. O doctor
# verifica as chaves que o laboratório usaria; com um segredo errado, ele diz:

# %%
saved_key = os.environ["AWS_ACCESS_KEY_ID"]
os.environ.update({"LAB_S3_ENDPOINT_URL": lab.s3_endpoint_url,
                   "LAB_S3_ACCESS_KEY": saved_key, "LAB_S3_SECRET_KEY": "wrong-secret"})
wrong_keys_lab = lab_utils.load_config()
for result in lab_utils.run_checks(wrong_keys_lab):
    if result.name in ("object store keys", "artifact bucket"):
        print(result.line())
for name in ("LAB_S3_ENDPOINT_URL", "LAB_S3_ACCESS_KEY", "LAB_S3_SECRET_KEY"):
    del os.environ[name]

# %% [markdown]
# **Correção:** dê ao cliente as chaves do armazenamento (`lab_utils.connect()` e `lab env`
# as fornecem) ou — melhor — mantenha os experimentos no armazenamento de artefatos com proxy
# do servidor (`mlflow-artifacts:/`, o padrão do laboratório), para que os clientes nunca precisem
# de chaves. Se quem acusa o erro é o *servidor*, as chaves dele estão erradas:
# `lab logs mlflow`, depois `lab down && lab up`.

# %%
if direct_to_s3:
    fixed = subprocess.run([sys.executable, "-c", client_code], env=dict(os.environ), capture_output=True, text=True)
    print("código de saída", fixed.returncode, "·", fixed.stdout.strip().splitlines()[-1])

# %% [markdown]
# ### Ponto de verificação

# %% tags=["nbval-check-output"]
if direct_to_s3:
    assert failed.returncode != 0 and "NoCredentialsError" in failed.stderr, failed.stderr[-300:]
    assert fixed.returncode == 0, fixed.stderr[-300:]
    stored = lab_utils.bucket_keys(lab, "direct-to-s3/")
    assert any(key.endswith("/note.txt") for key in stored), stored
    print(f"✓ sem chaves: NoCredentialsError; com elas: a nota está em s3://{lab.bucket}/direct-to-s3/")

# %% [markdown]
# ## 4 · "O modelo não aparece no registro de modelos"
#
# Na maioria das vezes, o nome ou a versão não é o que você pensa. O registro responde com
# `RESOURCE_DOES_NOT_EXIST` (no servidor de um workshop, que pede login, com
# `PERMISSION_DENIED`: ele verifica sua permissão sobre um modelo antes de procurá-lo):

# %% tags=["raises-exception", "raises:RestException", "raises:MlflowException"]
mlflow.pyfunc.load_model("models:/previsao_preco/1")  # falta o "s" final do nome

# %% tags=["raises-exception", "raises:RestException", "raises:MlflowException"]
mlflow.pyfunc.load_model("models:/previsao_precos/999")

# %% [markdown]
# O doctor confirma que o registro em si responde — então o problema é o nome:

# %%
doctor_lines("model registry")

# %% [markdown]
# **Correção:** consulte os nomes e as versões em vez de adivinhar; e confira se o
# `register_model` de fato rodou (ele imprime `Created version …`) contra o mesmo servidor.
#
# > **Alias** ("apelido", em inglês) — um nome que você dá a uma versão de um modelo registrado, como um
# > marcador de página (`champion`, abaixo). Mover o alias para outra versão muda o que
# > `models:/previsao_precos@champion` carrega, sem mudar nenhum código.

# %%
client = MlflowClient()
for model in client.search_registered_models(filter_string="name LIKE 'previsao%'"):
    latest = max(int(v.version) for v in client.search_model_versions(f"name = '{model.name}'"))
    print(f"{model.name}: versões 1…{latest}")
# Os aliases que a lição 04 definiu (os de outros modelos dependem dos exercícios que você fez):
print(f"aliases de previsao_precos: {client.get_registered_model('previsao_precos').aliases}")

# %% [markdown]
# ### A armadilha da própria página do DataFlow Lab: `log_model` com `"modelo"`, `register_model` com `model`
#
# O primeiro exemplo da página do DataFlow Lab loga o seu modelo com o nome `"modelo"`; o
# exemplo do registro de modelos registra `runs:/<run id>/model`. Execute um depois do outro,
# como um aluno faria, e o segundo falha. O modelo, como o primeiro exemplo o loga
# (com a palavra-chave `name=`, como explica a lição 01):

# %%
from sklearn.linear_model import ElasticNet

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
mlflow.set_experiment("meu_experimento")
with mlflow.start_run(run_name="modelo_and_model") as modelo_run:
    # Requisitos informados (fixados nas versões instaladas aqui): o MLflow deixa de inferi-los,
    # o que carregaria o modelo de novo em um processo Python separado.
    model_info = mlflow.sklearn.log_model(
        model, name="modelo", pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True))
run_id = modelo_run.info.run_id

# %% [markdown]
# E o exemplo do registro, como está escrito:

# %% tags=["raises-exception", "raises:MlflowException"]
# Após treinar e rastrear o modelo com uma execução
model_uri = f"runs:/{run_id}/model"
model_details = mlflow.register_model(model_uri, "previsao_precos")

# %% [markdown]
# *Unable to find a logged_model with artifact_path model*: pergunte ao servidor quais
# modelos a execução logou, e com quais nomes.

# %% tags=["nbval-check-output"]
logged_by_run = mlflow.search_logged_models(experiment_ids=[modelo_run.info.experiment_id],
                                            filter_string=f"source_run_id = '{run_id}'", output_format="list")
print("modelos logados pela execução:", [logged_model.name for logged_model in logged_by_run])

# %% [markdown]
# A execução tem um modelo chamado `modelo` e nenhum chamado `model`. Repare na ordem do que
# o `register_model` fez: ele criou (ou, aqui, encontrou) o modelo registrado **antes** de
# procurar o modelo. Com um nome novo, o nome passa a aparecer no registro sem nenhuma
# versão — um modelo que "não aparece" no registro, sob outro disfarce.
#
# **Correção:** registre o que você logou. O `log_model` o devolve:
# `model_info.model_uri` é o endereço do próprio modelo logado (logged model),
# `models:/m-…`, e não tem como divergir do nome que você deu. (`runs:/<run id>/modelo`,
# com o nome que foi usado no log, também funciona.)

# %%
model_details = mlflow.register_model(model_info.model_uri, "previsao_precos")

# %% [markdown]
# ### Ponto de verificação: a versão vem do modelo logado como `modelo`

# %% tags=["nbval-check-output"]
registered = client.get_model_version("previsao_precos", model_details.version)
assert registered.source == model_info.model_uri, f"a origem da versão é {registered.source}"
assert registered.run_id == run_id, "a versão não vem da execução que logou 'modelo'"
print("✓ previsao_precos tem uma versão cuja origem é o modelo logado como", repr(model_info.name))

# %% [markdown]
# ## O laboratório está saudável de novo
#
# Todas as verificações passam: nada do que esta lição quebrou ficou quebrado.

# %%
results = lab_utils.run_checks(lab)
for result in results:
    print(result.line())
assert all(result.ok for result in results), "o laboratório não está saudável: veja as linhas com ✗"

# %% [markdown]
# ## Exercício
#
# Descubra, pelo registro de modelos, para qual versão de `previsao_precos` o alias
# `champion` aponta. Coloque em `champion_uri` a URI que carrega essa versão pelo seu
# **número** (não pelo alias) e carregue o modelo com ela em `fixed_model`.

# %% tags=["exercise"]
champion_uri = ...  # seu código aqui
fixed_model = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `MlflowClient().get_model_version_by_alias("previsao_precos", "champion")` devolve a
# versão para a qual o alias aponta; o seu `.version` vai em
# `models:/previsao_precos/<version>`, que `mlflow.pyfunc.load_model` carrega.
#
# </details>

# %% tags=["solution"]
champion_version = client.get_model_version_by_alias("previsao_precos", "champion").version
champion_uri = f"models:/previsao_precos/{champion_version}"
fixed_model = mlflow.pyfunc.load_model(champion_uri)

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_uri, "Exercício"):
    from lab_utils.grading import lesson_09
    lesson_09.check_exercise(champion_uri, fixed_model)

# %% [markdown]
# ## Resumo
#
# | sintoma | causa provável | linha do `lab doctor` | verificação em qualquer lugar | correção |
# | --- | --- | --- | --- | --- |
# | conexão recusada / máximo de tentativas excedido | servidor parado ou URI errada | ✗ servidor de rastreamento | `curl …/health` | `make up`; `lab_utils.connect()` ou `lab env` |
# | nenhum erro, execuções ausentes da UI | sem endereço de rastreamento: `./mlflow.db` | (nenhuma: o laboratório está bem) | `mlflow.get_tracking_uri()` | `MLFLOW_TRACKING_URI` ou `set_tracking_uri` antes de tudo |
# | `NoCredentialsError`, `SignatureDoesNotMatch` | chaves S3 ausentes ou erradas | ✗ chaves do armazenamento de objetos | boto3 ou `aws s3 ls --endpoint-url` | as chaves do laboratório; prefira artefatos com proxy |
# | `RESOURCE_DOES_NOT_EXIST` | nome ou versão do modelo errados | ✓ registro de modelos (logo: o nome) | `search_registered_models` | consulte os nomes |
# | `Unable to find a logged_model with artifact_path model` | registrado com outro nome que não o do log | ✓ registro de modelos | `search_logged_models` da execução | registre `model_info.model_uri` |
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/) — onde as execuções são
#   gravadas, e a URI de rastreamento
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Armazenamentos de backend (backend stores)](https://mlflow.org/docs/latest/self-hosting/architecture/backend-store/) —
#   o SQLite `mlflow.db` na pasta atual como padrão
# - [Armazenamentos de artefatos (artifact stores)](https://mlflow.org/docs/latest/self-hosting/architecture/artifact-store/) —
#   artefatos com proxy e as variáveis do S3
#
# ## Verifique o que aprendeu
#
# 1. O script de treinamento de um colega "funciona", mas as execuções dele não estão na UI. O que
#    você pede para ele imprimir, e que resposta confirma a causa?
# 2. O `lab doctor` mostra só linhas com ✓, mas o `register_model` falha. Quais duas causas
#    desta lição se encaixam, e como você as distingue?
# 3. Por que os notebooks deste laboratório não precisam de chaves do armazenamento de objetos para
#    logar artefatos, e quando um cliente precisa delas, afinal?
# 4. Depois de um `register_model` que falhou, o nome está no registro sem nenhuma versão.
#    Por quê?

# %% [markdown] tags=["solution"]
# 1. `mlflow.get_tracking_uri()`: uma resposta que começa com `sqlite:` (ou `file:`) indica
#    que as execuções foram para um `mlflow.db` (ou `mlruns/`) local, na pasta de onde o
#    script foi executado; um arquivo `mlflow.db` ali confirma.
# 2. Um nome ou uma versão de modelo errados (`RESOURCE_DOES_NOT_EXIST`: consulte os nomes),
#    ou um `runs:/…/<name>` cujo nome não é aquele com que o modelo foi logado
#    (*Unable to find a logged_model*: registre `model_info.model_uri`). A mensagem as
#    distingue.
# 3. O servidor de rastreamento faz proxy dos artefatos (`mlflow-artifacts:/`): ele grava no
#    armazenamento com as próprias chaves. Um cliente precisa de chaves quando o local de
#    artefatos de um experimento é um endereço `s3://`, porque aí ele mesmo grava no
#    armazenamento.
# 4. O `register_model` cria primeiro o modelo registrado e depois procura os arquivos do
#    modelo; quando esse segundo passo falha, o primeiro não é desfeito.

# %% [markdown]
# Próxima: **10 · Projeto final, parte 1: da busca a um campeão documentado**.
