# %% [markdown]
# # 05 · MLflow Models, parte 2: servindo um modelo
#
# A parte 1 abriu um modelo logado e registrou `previsao_precos_anuncios`, um
# modelo escrito como código que dá preço a anúncios brutos. Qualquer modelo MLflow pode ser
# servido via HTTP com um comando, e o mesmo servidor cabe em uma imagem de contêiner. Esta
# parte serve o campeão da lição 04 via REST, depois de conferir a requisição de exemplo
# dele, envia a ele cada formato de entrada e uma requisição malformada, gera o Dockerfile
# dele e, nos exercícios, serve uma versão e um alias à sua escolha, o último a partir de
# um terminal.
#
# **Você vai aprender** a conferir uma requisição antes de servir (`mlflow.models.predict`);
# `mlflow models serve` e seus formatos de entrada REST; o que uma requisição malformada
# recebe de volta; `mlflow models generate-dockerfile` e `build-docker`, e o nginx na
# frente do servidor da imagem; servir uma versão registrada ou um alias; um servidor
# iniciado e chamado à mão em um terminal (`curl`).
#
# **Tempo:** 40 minutos (cerca de 12 para ler, 3 para executar as células, 25 para os três
# exercícios, cada um dos quais inicia um servidor de modelos).
# **Pré-requisitos:** 04 · O registro de modelos e 05 · MLflow Models, parte 1 (ela
# registra `previsao_precos_anuncios`).
#
# **No mapa** (lição 00): o servidor de modelos, carregando `models:/nome@alias`.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% [markdown]
# Nada do notebook da parte 1 é necessário: o registro tem os dois modelos, e a divisão dos
# dados é sempre a mesma (ela usa uma semente fixa).

# %%
import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

model_name = "previsao_precos"
client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")
custom_version = lab_utils.assert_model_version("previsao_precos_anuncios")  # a última versão que a parte 1 registrou
model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")

# %% [markdown]
# ## Antes de servir: a requisição de exemplo do próprio modelo
#
# A parte 1 mostrou que um modelo logado traz `serving_input_example.json`: o exemplo de
# entrada dele escrito como o corpo de uma requisição REST. Antes de iniciar um servidor,
# confira se o modelo responde a esse corpo: `mlflow.models.predict` o lê com o próprio
# parser do servidor de previsão e prevê. Com `env_manager="local"` ele roda neste
# ambiente; `"uv"` ou `"virtualenv"` construiriam antes o ambiente do próprio modelo a
# partir do `requirements.txt` dele (a verificação mais forte antes de uma implantação; ela
# precisa do índice de pacotes, e o lab funciona offline). As duas linhas INFO dele nomeiam o
# backend que prevê (o do flavor `python_function`) e recomendam o `uv` como o jeito mais
# rápido de construir esse ambiente. O MLflow 3.13 tornou obsoleta a antiga
# `mlflow.models.validate_serving_input`, que fazia o mesmo no processo do notebook.

# %%
import json
import tempfile
from pathlib import Path

check_folder = Path(tempfile.mkdtemp())
example_file = Path(mlflow.artifacts.download_artifacts(
    f"models:/{model_name}@champion/serving_input_example.json", dst_path=str(check_folder)))
serving_input = json.loads(example_file.read_text())
print(json.dumps(serving_input))
mlflow.models.predict(f"models:/{model_name}@champion", input_path=str(example_file), content_type="json",
                      env_manager="local", output_path=str(check_folder / "predictions.json"))
checked_prices = json.loads((check_folder / "predictions.json").read_text())["predictions"]
print("preços das casas do exemplo:", np.round(checked_prices, -2))

# %% [markdown]
# ### Checkpoint
# A requisição de exemplo é respondida, com os preços que o modelo do registro dá a essas
# casas.

# %%
example_rows = pd.DataFrame(**serving_input["dataframe_split"])
assert np.allclose(checked_prices, model.predict(example_rows))
print(f"✓ o campeão responde à própria requisição de exemplo: {len(checked_prices)} casas com preço")

# %% [markdown]
# ## Servindo via REST
#
# `mlflow models serve` inicia um servidor HTTP para qualquer modelo MLflow: `GET /ping`
# para verificar se está no ar, `POST /invocations` para prever. `--env-manager local` usa
# este ambiente em vez de construir um novo. `lab_utils.ModelServer` executa esse comando em
# segundo plano e o encerra quando pedido (ou quando o kernel do notebook termina); passamos
# a ele a primeira porta livre a partir da 5001.
#
# Iniciar leva de uns 8 segundos a meio minuto, mais em uma máquina ocupada: o comando inicia um processo Python
# que importa o MLflow, pergunta ao registro de modelos (Model Registry) onde está o
# `@champion` e o baixa do bucket, e então inicia o servidor web (uvicorn), um segundo
# processo Python que importa o MLflow e carrega o modelo de novo antes de responder ao
# `/ping`. Tudo isso disputa o processador da máquina com o que mais estiver rodando.

# %%
import requests

port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
server = lab_utils.ModelServer(f"models:/{model_name}@champion", port=port).start()

# %% [markdown]
# O endpoint aceita JSON em vários formatos: `dataframe_split` (colunas + linhas),
# `dataframe_records` (um objeto por linha) ou `inputs`.

# %%
houses = X_test.head(3)
for body in (
    {"dataframe_split": houses.to_dict(orient="split", index=False)},
    {"dataframe_records": houses.to_dict(orient="records")},
    {"inputs": houses.to_dict(orient="list")},
):
    response = requests.post(f"{server.url}/invocations", json=body, timeout=30)
    print(list(body)[0], "→", response.status_code, np.round(response.json()["predictions"], -2))

# %% [markdown]
# Uma requisição malformada recebe um HTTP 400 com o motivo: aqui, uma coluna ausente.

# %%
bad = requests.post(f"{server.url}/invocations",
                    json={"dataframe_records": [{"lotsize": 5000, "bedrooms": 3}]}, timeout=30)
print(bad.status_code, bad.json()["error_code"])
print(bad.json()["message"][-160:])

# %% [markdown]
# ### Ponto de verificação
# O modelo servido responde como o modelo carregado do registro.

# %%
served = requests.post(f"{server.url}/invocations",
                       json={"dataframe_split": X_test.to_dict(orient="split", index=False)}, timeout=30)
assert served.status_code == 200 and bad.status_code == 400
assert np.allclose(served.json()["predictions"], model.predict(X_test))
print(f"✓ {len(X_test)} previsões via REST batem com o modelo do registro")

# %%
server.stop()
assert lab_utils.port_is_free(server.port), f"a porta {server.port} ainda está em uso"

# %% [markdown]
# ## Um modelo como imagem de contêiner
#
# O mesmo servidor roda em um contêiner. `mlflow models generate-dockerfile` grava uma pasta
# com o modelo e um `Dockerfile` cuja imagem o serve na porta 8080. Esta máquina não tem um
# Docker engine, então geramos a pasta e lemos o arquivo:

# %%
import tempfile
from pathlib import Path

image_folder = Path(tempfile.mkdtemp()) / "champion-image"
# !MLFLOW_LOGGING_LEVEL=WARNING mlflow models generate-dockerfile -m models:/{model_name}@champion -d {image_folder}

# %%
print(sorted(str(path.relative_to(image_folder)) for path in image_folder.iterdir()))
print((image_folder / "Dockerfile").read_text())

# %% [markdown]
# Lendo o arquivo: uma imagem base de Python; o modelo copiado para `/opt/ml/model`; os
# requisitos dele e o MLflow instalados; e um entry point que inicia o mesmo servidor de
# previsão de `mlflow models serve`, na porta 8080. Com um Docker engine, um comando
# constrói a imagem (e outro a executa):
#
# ```bash
# mlflow models build-docker -m models:/previsao_precos@champion -n previsao-precos
# docker run -p 5001:8080 previsao-precos     # depois, faça POST em http://localhost:5001/invocations
# ```
#
# Dentro desse contêiner, a porta 8080 não é o servidor de previsão em si: o entry point
# inicia o **nginx** na 8080 e o servidor de previsão (uvicorn, um worker por processador,
# a menos que `MLFLOW_MODELS_WORKERS` diga outro número) na porta 8000, atrás dele. O nginx
# repassa só `/ping` e `/invocations` (qualquer outro caminho recebe um 404), aceita
# corpos de requisição de até 100 MB e escreve cada requisição no log do contêiner. Uma
# plataforma que já põe o próprio proxy na frente (Google Cloud Run, um ingress do
# Kubernetes) pode dispensá-lo com `docker run -e DISABLE_NGINX=true …`; o uvicorn então
# serve sozinho, na porta 8000 e, a menos que `UVICORN_HOST=0.0.0.0` também seja definido,
# só no loopback do contêiner (a ajuda do MLflow mostra `-p 5001:8080` com essa
# configuração; no MLflow 3.17 nada escuta na 8080 nesse caso). Isso foi lido no código do
# MLflow (`mlflow/models/container/__init__.py` e o `nginx.conf` ao lado dele), não
# executado: esta máquina não tem um Docker engine.

# %%
import shutil

assert (image_folder / "Dockerfile").exists() and (image_folder / "model_dir").is_dir()
shutil.rmtree(image_folder.parent)

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Chame você mesmo a API REST do servidor de modelos: sirva a versão 1 de
# `previsao_precos` (um `ModelServer` como acima, ou `mlflow models serve` num terminal),
# faça `POST` de `X_test.head(1)` no `/invocations` dele como um corpo `dataframe_records`,
# encerre o servidor e coloque em `rest_response` a `requests.Response` que você recebeu. A
# verificação lê a requisição que você enviou e a resposta do servidor, e compara essa
# resposta com a versão 1 no registro (o campeão dá outro preço a esta casa). (Iniciar o
# servidor leva até meio minuto, como acima.)

# %% tags=["exercise"]
rest_response = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `lab_utils.ModelServer("models:/previsao_precos/1", port=...).start()` dá um servidor
# com um `.url`; `requests.post(f"{server.url}/invocations", json={"dataframe_records": ...})`
# com `DataFrame.to_dict(orient="records")`; depois, `server.stop()`.
#
# </details>

# %% tags=["solution"]
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
version_1_server = lab_utils.ModelServer(f"models:/{model_name}/1", port=port).start()
try:
    rest_response = requests.post(f"{version_1_server.url}/invocations", timeout=30,
                                  json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
finally:
    version_1_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(rest_response, "Exercício 1"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_1(rest_response, X_test, model_name)

# %% [markdown]
# ### Exercício 2
# Dê ao modelo personalizado da parte 1 o alias `champion` no registro
# (`previsao_precos_anuncios`, a versão `custom_version` lida acima), sirva
# `models:/previsao_precos_anuncios@champion`, dê preço ao `listing` abaixo via REST, encerre
# o servidor e coloque a `requests.Response` em `listing_response`. A verificação lê o
# alias no registro e compara a resposta do servidor com o preço dessa versão.

# %%
listing = pd.DataFrame([{"lotsize_m2": 450.0, "bedrooms": 3, "bathrms": 1, "stories": 2, "garagepl": 1,
                         "driveway": "yes", "recroom": "no", "fullbase": "yes", "gashw": "no",
                         "airco": "yes", "prefarea": "no"}])

# %% tags=["exercise"]
listing_response = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `client.set_registered_model_alias(name, "champion", version)` e depois os mesmos passos
# de `ModelServer` / `requests.post` do Exercício 1, com o anúncio como corpo.
#
# </details>

# %% tags=["solution"]
client.set_registered_model_alias("previsao_precos_anuncios", "champion", custom_version.version)
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
listing_server = lab_utils.ModelServer("models:/previsao_precos_anuncios@champion", port=port).start()
try:
    listing_response = requests.post(f"{listing_server.url}/invocations", timeout=30,
                                     json={"dataframe_split": listing.to_dict(orient="split", index=False)})
finally:
    listing_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(listing_response, "Exercício 2"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_2(listing_response, listing, custom_version.version)

# %% [markdown]
# ### Exercício 3 (em um terminal)
# Rode um servidor de modelos como você faria em uma máquina sem notebook. No JupyterLab,
# abra um terminal (**File → New → Terminal**: ele tem os comandos e as configurações do
# lab) e inicie o servidor com o comando que a célula abaixo imprime (uma porta livre é
# escolhida para você):
# `mlflow models serve -m models:/previsao_precos@champion --env-manager local -p <porta>`.
# Quando ele imprimir `Uvicorn running on http://127.0.0.1:<porta>`, abra um segundo
# terminal e dê preço a uma casa à mão com o comando `curl` impresso abaixo. Deixe o
# servidor rodando, coloque a porta dele (um número) em `terminal_port` e execute a
# verificação: ela mesma envia as casas de teste a essa porta e compara as respostas com o
# `@champion` no registro. Depois, encerre o servidor com **Ctrl+C** no terminal dele. (Em
# um shell fora do JupyterLab, rode antes `source .venv/bin/activate` e
# `eval "$(lab env)"` na pasta do repositório.)

# %%
free_port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
one_house = json.dumps({"dataframe_records": X_test.head(1).to_dict(orient="records")})
print(f"mlflow models serve -m models:/{model_name}@champion --env-manager local -p {free_port}")
print(f"curl -s http://127.0.0.1:{free_port}/invocations -H 'Content-Type: application/json' -d '{one_house}'")

# %% tags=["exercise"]
terminal_port = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `terminal_port` é o número depois de `-p`. Enquanto o servidor roda, o terminal dele
# imprime uma linha por requisição (`"POST /invocations HTTP/1.1" 200 OK`); o `curl`
# imprime a resposta, `{"predictions": [...]}`.
#
# </details>

# %% tags=["solution"]
# O que os dois terminais fazem, executado pelo notebook: o servidor em segundo plano, depois o curl.
terminal_server = lab_utils.ModelServer(f"models:/{model_name}@champion", port=free_port).start()
# !curl -s http://127.0.0.1:{free_port}/invocations -H 'Content-Type: application/json' -d '{one_house}'
terminal_port = terminal_server.port

# %% tags=["check-exercise"]
if lab_utils.attempted(terminal_port, "Exercício 3"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_3(terminal_port, X_test, model_name)

# %% tags=["solution"]
terminal_server.stop()  # Ctrl+C no terminal do servidor

# %% [markdown]
# ## Resumo
#
# - `mlflow.models.predict` responde ao `serving_input_example.json` do modelo como um
#   servidor responderia: confira-o antes de servir.
# - `mlflow models serve` serve qualquer modelo; `/invocations` aceita `dataframe_split`,
#   `dataframe_records` ou `inputs`; `/ping` diz se ele está no ar. Em um terminal, o
#   `curl` o chama como qualquer cliente.
# - A assinatura protege também o modelo servido: uma requisição malformada recebe um HTTP
#   400 que diz o que está errado.
# - `generate-dockerfile` / `build-docker` colocam o mesmo servidor em uma imagem de
#   contêiner, atrás do nginx na porta 8080 (`DISABLE_NGINX=true` deixa o uvicorn sozinho,
#   na porta 8000).
# - Um servidor é iniciado para a URI de um modelo: uma versão (`models:/nome/1`) ou um
#   alias (`models:/nome@champion`), resolvido quando ele inicia.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - Documentação do MLflow: https://mlflow.org/docs/latest/
# - Modelos (flavors, assinaturas, exemplos de entrada): https://mlflow.org/docs/latest/ml/model/
# - Registro de modelos (Model Registry): https://mlflow.org/docs/latest/ml/model-registry/
# - Servir modelos (`mlflow models serve`, contêineres): https://mlflow.org/docs/latest/ml/deployment/
#
# ## Verifique o que aprendeu
#
# 1. Quais dois processos iniciam quando `mlflow models serve` roda com
#    `--env-manager local`, e por que isso leva segundos?
# 2. Um cliente envia uma linha sem a coluna `lotsize`. O que o servidor responde, e de onde
#    vem a regra que ele aplica?
# 3. Você move o `@champion` para outra versão enquanto um servidor de
#    `models:/previsao_precos@champion` está rodando. Qual versão responde às requisições?
# 4. O que `generate-dockerfile` produz, e o que a imagem faz quando roda?
# 5. Uma colega roda a imagem com `-e DISABLE_NGINX=true -p 5001:8080` e não recebe
#    resposta. Por quê, e o que ela mudaria?

# %% [markdown] tags=["solution"]
# 1. O comando `mlflow models serve` (importa o MLflow, resolve a URI do registro, baixa o
#    modelo) e o servidor de previsão do uvicorn (importa o MLflow, carrega o modelo); cada
#    inicialização do Python importa bibliotecas grandes.
# 2. Um HTTP 400 cuja mensagem nomeia a coluna ausente: o servidor confere cada requisição
#    com a assinatura do modelo, guardada no arquivo `MLmodel` dele.
# 3. A antiga: o servidor resolveu o alias e baixou aquela versão quando iniciou.
#    Reinicie-o (ou publique um novo contêiner) para servir o novo campeão.
# 4. Uma pasta com o modelo (`model_dir`) e um `Dockerfile`; a imagem instala os requisitos
#    do modelo e o serve com o mesmo servidor de previsão, atrás do nginx na porta 8080.
# 5. Sem o nginx nada escuta na 8080: o uvicorn serve sozinho na porta 8000, no loopback do
#    contêiner. Publique a 8000 e deixe o uvicorn escutar em todos os endereços:
#    `-e DISABLE_NGINX=true -e UVICORN_HOST=0.0.0.0 -p 5001:8000` (ou mantenha o nginx).

# %% [markdown]
# Próxima: **06 · MLflow Projects**: empacotar o código de treinamento para que qualquer pessoa possa executá-lo de novo.
